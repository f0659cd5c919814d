/**
 * What must hold once the next command has finished whatever a killed `xl` left: every domain's
 * three views of its ID agree; no domain is left renamed (`--incoming`, `--migratedaway`); every
 * bystander (each domain but `guest`, on each host file) is untouched and running where it was; the
 * domain the operation acted on (`guest`) is where the operation may have put it, running; a guest
 * a save took away comes back from its file; every memory file beside a host file belongs to one of
 * its domains, one at most each.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { expect } from 'vitest';
import { domainViews, viewProblems, type DomainViews, type XlHost } from './xl-host.ts';

/** What may become of `guest` when the operation is killed. */
export type Outcome =
  | { readonly kind: 'created' | 'restored' | 'kept' | 'destroyed' }
  /** Its ID may be the old one or `to` (any new one when `to` is absent). */
  | { readonly kind: 'renewed'; readonly to?: string }
  /** Gone only with its whole image at `file`. */
  | { readonly kind: 'saved-away'; readonly file: string }
  /** On either host file, perhaps on both (one end paused, for the user), never running twice. */
  | { readonly kind: 'migrated' };

/** A domain and the host file that holds it. */
export interface Placed extends DomainViews {
  readonly host: string;
}

/** Every guest domain of each of `hosts` that exists (opening a host file runs its recovery first). */
export function placedViews(hosts: readonly string[]): Placed[] {
  return hosts.filter((host) => existsSync(host)).flatMap((host) => domainViews(host).map((domain) => ({ ...domain, host })));
}

/** The memory files beside `host` (`<host>.memory/<domid>-...`) that no domain of `domains` owns, or that a second file of its domain duplicates. */
export function strayMemoryFiles(host: string, domains: readonly Placed[]): string[] {
  const dir = `${realpathSync(host)}.memory`;
  const owners = new Set(domains.filter((domain) => domain.host === host).map((domain) => domain.domid));
  const seen = new Set<number>();
  return (existsSync(dir) ? readdirSync(dir) : []).filter((name) => {
    const domid = Number(name.split('-')[0]);
    const stray = !owners.has(domid) || seen.has(domid);
    seen.add(domid);
    return stray;
  });
}

/**
 * Runs `xl list` on each host file that exists (the next command: it finishes what the dead process
 * left; with `list: false`, opening the host file here does the same, as any command would), then
 * checks the invariants against `before` (the domains of `hosts` before the operation, from
 * `placedViews`). `hosts[0]` is where the operation started (a save's image is restored there).
 * Returns the domains as the checks leave them.
 */
export function expectWholeAfterCrash(
  world: XlHost,
  hosts: readonly string[],
  outcome: Outcome,
  before: readonly Placed[],
  { list = true }: { readonly list?: boolean } = {},
): Placed[] {
  const present = hosts.filter((host) => existsSync(host));
  for (const host of list ? present : []) {
    const listed = world.xl(['list'], { host });
    expect(listed.status, listed.stderr).toBe(0);
  }
  const after = placedViews(present);
  expect(after.flatMap(viewProblems)).toEqual([]);
  expect(present.flatMap((host) => strayMemoryFiles(host, after))).toEqual([]);
  expect(after.map((domain) => domain.name).filter((name) => /--(incoming|migratedaway)$/.test(name ?? ''))).toEqual([]);
  const bystanders = (domains: readonly Placed[]) =>
    domains
      .filter((domain) => domain.name !== 'guest')
      .map(({ name, domid, config, paused, host }) => ({ name, domid, config, paused, host }))
      .sort((a, b) => a.host.localeCompare(b.host) || a.domid - b.domid);
  expect(bystanders(before).length).toBeGreaterThan(0);
  expect(bystanders(after)).toEqual(bystanders(before).map((domain) => ({ ...domain, paused: false })));
  const was = before.find((domain) => domain.name === 'guest');
  const guests = after.filter((domain) => domain.name === 'guest');
  const running = guests.filter((domain) => !domain.paused);
  if (outcome.kind === 'migrated') {
    expect(guests.length).toBeGreaterThanOrEqual(1);
    expect(running.length).toBeLessThanOrEqual(1);
    expect(guests.map((domain) => domain.config)).toEqual(guests.map(() => was!.config));
    return after;
  }
  expect(guests.length).toBeLessThanOrEqual(1);
  expect(running).toEqual(guests);
  const guest = guests[0];
  switch (outcome.kind) {
    case 'kept':
      expect(guest?.config).toBe(was!.config);
      break;
    case 'renewed':
      expect(guest).toBeDefined();
      if (outcome.to !== undefined) expect([was!.config, outcome.to]).toContain(guest!.config);
      break;
    case 'destroyed':
      if (guest) expect(guest.config).toBe(was!.config);
      break;
    case 'saved-away':
      if (guest) {
        expect(guest.config).toBe(was!.config);
      } else {
        const restored = world.xl(['restore', outcome.file], { host: hosts[0] });
        expect(restored.status, restored.stderr).toBe(0);
        const back = domainViews(hosts[0]!).filter((domain) => domain.name === 'guest');
        expect(back.map(({ paused }) => paused)).toEqual([false]);
        expect(back.flatMap(viewProblems)).toEqual([]);
        return placedViews(present);
      }
      break;
    case 'created':
    case 'restored':
      break;
  }
  return after;
}
