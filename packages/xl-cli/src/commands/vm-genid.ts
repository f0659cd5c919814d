/**
 * `xl vm-genid [--new | --set ID] [--format F | --json] <Domain>` (beyond Xen: real xl has no such
 * command). Without `--new`/`--set` it reports the domain's VM Generation ID as each party holds
 * it, changing nothing: libxl's stored config, xenstore `~/platform/generation-id`, and what the
 * guest last read through ACPI (QEMU's `query-vm-generation-id` gives only the device's view).
 * It exits 1 when two of the present views differ, saying which. `--new` gives the running domain a
 * new random ID, `--set` a given one; either is written to guest memory (at HVM param 34's
 * address), xenstore and the stored config, then the guest gets an ACPI notify (xl-lib
 * `renewVmGenid`); setting the ID the domain already has changes nothing and notifies nobody.
 * `--history` shows the ID's timeline instead (`./vm-genid-history.ts`).
 */
import type { MsVmGenid, MsVmGenidTextForm, VmGenidViewName, VmGenidViews } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { findExistingDomain, isLibxlError, libxlCall } from '../toolstack/report.ts';

export interface VmGenidOptions {
  new: boolean;
  set: string | undefined;
  format: string | undefined;
  json: boolean;
  history: boolean;
  html: string | undefined;
}

/** The text forms `--format` prints (the rows of xl-lib's table of forms, `windows` apart). */
export const VM_GENID_FORMATS = ['xenstore', 'guid', 'hex', 'hyperv', 'vmware'] as const satisfies readonly MsVmGenidTextForm[];
export type VmGenidFormat = (typeof VM_GENID_FORMATS)[number];

/** The forms `--set` recognises without a `form:` prefix, in the order they win. */
const UNPREFIXED_FORMS = ['guid', 'xenstore', 'hex'] as const satisfies readonly MsVmGenidTextForm[];

const VIEW_NAMES: Record<VmGenidViewName, string> = {
  config: "libxl's stored config",
  xenstore: 'xenstore',
  guest: "the guest's last reading through ACPI",
};

/**
 * The ID `--set` names: `form:value` for any form of xl-lib's table (`xenstore`, `guid`, `hex`,
 * `hyperv`, `windows`, `vmware:<genid>,<genidX>`), or without a prefix a GUID, a xenstore `lo:hi`
 * pair of decimals, or 32 hex digits in memory order. Throws xl-lib's `XlError('INVAL')` naming
 * the problem.
 */
export async function parseGenidArgument(text: string): Promise<MsVmGenid> {
  const { MS_VM_GENID_FORM_NAMES, MsVmGenid, XlError } = await import('@xen-genid/xl-lib');
  const prefixed = /^([a-z]+):(.*)$/s.exec(text);
  const form = MS_VM_GENID_FORM_NAMES.find((name) => name === prefixed?.[1]);
  if (prefixed && form) return MsVmGenid.parse(prefixed[2]!, form);
  const sniffed = MsVmGenid.formOf(text, UNPREFIXED_FORMS);
  if (sniffed === undefined) {
    throw new XlError(
      'INVAL',
      `${JSON.stringify(text)} is not a generation ID: give a GUID, a xenstore "lo:hi" pair, 32 hex digits, or form:value with form one of ${MS_VM_GENID_FORM_NAMES.join(', ')}`,
    );
  }
  return MsVmGenid.parse(text, sniffed);
}

/** `views` as text: every view in one format, or every format under each view. */
export function formatViews(views: VmGenidViews, format: VmGenidFormat | undefined): string {
  const lines: string[] = [];
  const entries: [VmGenidViewName, MsVmGenid | null][] = [
    ['config', views.config],
    ['xenstore', views.xenstore],
    ['guest', views.guest],
  ];
  for (const [name, genid] of entries) {
    let absent = 'none';
    if (name === 'xenstore' && views.xenstoreText !== null && !genid) absent = `${JSON.stringify(views.xenstoreText)} (not a "lo:hi" ID)`;
    if (!genid) lines.push(`${`${name}:`.padEnd(10)}${absent}`);
    else if (format) lines.push(`${`${name}:`.padEnd(10)}${genid.format(format)}`);
    else {
      lines.push(`${name}:`);
      for (const form of VM_GENID_FORMATS) lines.push(`  ${form.padEnd(10)}${genid.format(form)}`);
    }
  }
  lines.push(`notifications: ${views.notifications}${views.notifyPending ? ' (one more pending until the domain is unpaused)' : ''}`);
  return `${lines.join('\n')}\n`;
}

/** `--json`: one object, each view as 32 lower-case hex digits in memory order, or null. */
export function viewsToJson(views: VmGenidViews): string {
  return `${JSON.stringify({
    config: views.config?.toHex() ?? null,
    xenstore: views.xenstore?.toHex() ?? null,
    guest: views.guest?.toHex() ?? null,
    notifications: views.notifications,
  })}\n`;
}

export async function run(input: CommandInput<VmGenidOptions>, context: CommandContext): Promise<number> {
  const { options } = input;
  const usage = (message: string): XlCliError => new XlCliError(message, { exitCode: XL_EXIT.USAGE });
  if (options.html !== undefined && !options.history) throw usage('xl vm-genid: --html goes with --history.');
  if (input.args.length > 1 || (input.args.length === 0 && options.html === undefined)) throw usage(`'xl vm-genid' takes exactly one domain.`);
  if (options.history && (options.new || options.set !== undefined || options.format !== undefined)) {
    throw usage('xl vm-genid: --history cannot be used with --new, --set or --format.');
  }
  if (options.new && options.set !== undefined) throw usage('xl vm-genid: --new and --set cannot be used together.');
  if (options.format !== undefined && !(VM_GENID_FORMATS as readonly string[]).includes(options.format)) {
    throw usage(`xl vm-genid: unknown format "${options.format}" (one of ${VM_GENID_FORMATS.join(', ')}).`);
  }
  if (options.json && options.format !== undefined) throw usage('xl vm-genid: --json and --format cannot be used together.');
  let requested: MsVmGenid | undefined;
  if (options.set !== undefined) {
    try {
      requested = await parseGenidArgument(options.set);
    } catch (error) {
      if (!isLibxlError(error)) throw error;
      throw new XlCliError(`xl vm-genid: ${error.message}`);
    }
  }
  return withToolstack(context, async ({ libxl }) => {
    const { queryVmGenid, renewVmGenid, vmGenidDisagreements } = await import('@xen-genid/xl-lib');
    const domid = input.args[0] === undefined ? undefined : findExistingDomain(libxl, input.args[0]);
    if (options.history) {
      const { runHistory } = await import('./vm-genid-history.ts');
      await libxlCall(() => runHistory(libxl, domid, { json: options.json, html: options.html }, context));
      return XL_EXIT.OK;
    }
    if (domid === undefined) throw usage(`'xl vm-genid' takes exactly one domain.`);
    return libxlCall(() => {
      if (options.new || requested) {
        const renewal = renewVmGenid(libxl, domid, requested ? { kind: 'set', genid: requested } : { kind: 'new' });
        const outcome =
          renewal.notify === 'delivered'
            ? 'guest notified'
            : renewal.notify === 'pending'
              ? 'notify pending: the domain is paused'
              : 'unchanged, no notify';
        context.stdout.write(`Domain ${domid}: generation ID ${renewal.genid.toGuid()} (${outcome})\n`);
        return XL_EXIT.OK;
      }
      const views = queryVmGenid(libxl, domid);
      context.stdout.write(options.json ? viewsToJson(views) : formatViews(views, options.format as VmGenidFormat | undefined));
      const disagreements = vmGenidDisagreements(views);
      for (const { first, second } of disagreements) {
        context.stderr.write(`The generation ID in ${VIEW_NAMES[first]} differs from the one in ${VIEW_NAMES[second]}.\n`);
      }
      return disagreements.length > 0 ? XL_EXIT.FAILURE : XL_EXIT.OK;
    });
  });
}
