/**
 * `xl vm-genid --history [--json | --html FILE] [<Domain>]` (beyond Xen): the generation ID's
 * timeline (xl-lib `vmGenidHistory`): created, each read by the guest with the ID it read, each
 * notify, each save, restore, migration and renewal with the policy row that kept or renewed the
 * ID. As text (one line per step), as JSON for tools, or with `--html` as one self-contained page
 * of the host's domains (or the one named): the three views of each ID and its timeline.
 */
import { writeFileSync } from 'node:fs';
import type { GenidHistoryEntry, Libxl, MsVmGenid, VmGenidViews } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-context.ts';
import { XlCliError } from '../errors.ts';
import { strerrorOf } from '@xen-genid/xl-lib/errors';

/** One domain's report: its views and its timeline. */
export interface GenidHistoryReport {
  readonly domid: number;
  readonly name: string | null;
  /** Each view as 32 hex digits in memory order, or null. */
  readonly views: { readonly config: string | null; readonly xenstore: string | null; readonly guest: string | null };
  readonly history: readonly GenidHistoryEntry[];
}

const hexOf = (genid: MsVmGenid | null): string | null => genid?.toHex() ?? null;

/** The report of `domid` on `libxl`'s machine. */
export async function historyReport(libxl: Libxl, domid: number): Promise<GenidHistoryReport> {
  const { queryVmGenid, vmGenidHistory } = await import('@xen-genid/xl-lib');
  const views: VmGenidViews = queryVmGenid(libxl, domid);
  return {
    domid,
    name: libxl.domidToName(domid) ?? null,
    views: { config: hexOf(views.config), xenstore: hexOf(views.xenstore), guest: hexOf(views.guest) },
    history: vmGenidHistory(libxl, domid),
  };
}

/** The reports of every guest domain of the host, by domid. */
export async function hostHistoryReports(libxl: Libxl): Promise<GenidHistoryReport[]> {
  const domids = libxl.hypervisor
    .listDomains()
    .map((info) => info.domid)
    .filter((domid) => domid !== 0)
    .sort((a, b) => a - b);
  return Promise.all(domids.map((domid) => historyReport(libxl, domid)));
}

/** An ID as a GUID (the form guests show), from its hex form. */
async function guidOf(hex: string | null): Promise<string> {
  if (hex === null) return 'none';
  const { MsVmGenid } = await import('@xen-genid/xl-lib');
  return MsVmGenid.fromHex(hex).toGuid();
}

/** What an entry says, without its time. */
async function describeEntry(entry: GenidHistoryEntry): Promise<string> {
  switch (entry.kind) {
    case 'created':
      return `created with ${await guidOf(entry.genid)}`;
    case 'lifecycle':
      return `${entry.step} by ${entry.command} (${entry.scenario}): ${entry.action} ${await guidOf(entry.genid)}`;
    case 'read':
      return `guest read (${entry.reason}) ${entry.ok ? await guidOf(entry.genid) : 'failed'}${entry.changed ? ', changed' : ''}`;
    case 'notify':
      return `guest notified: GPE ${entry.gpe}${entry.handler ? ` ran ${entry.handler}` : ', no handler'}${entry.notified ? '' : ', the ID device not notified'}`;
  }
}

/** The timeline as text: one line per entry, ISO time first. */
export async function formatHistory(report: GenidHistoryReport): Promise<string> {
  const lines = [`Domain ${report.domid}${report.name ? ` (${report.name})` : ''}: generation ID timeline`];
  for (const entry of report.history) lines.push(`${new Date(entry.at).toISOString()}  ${await describeEntry(entry)}`);
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** One self-contained page (inline style, no script, nothing fetched) of the reports. */
export async function historyPage(reports: readonly GenidHistoryReport[]): Promise<string> {
  const sections: string[] = [];
  for (const report of reports) {
    const views: string[] = [];
    for (const name of ['config', 'xenstore', 'guest'] as const) {
      const hex = report.views[name];
      views.push(
        `<tr><th>${name}</th><td class="id" data-view="${name}">${escapeHtml(await guidOf(hex))}</td><td class="hex">${hex ?? ''}</td></tr>`,
      );
    }
    const steps: string[] = [];
    for (const entry of report.history) {
      steps.push(`<li class="${entry.kind}"><time>${new Date(entry.at).toISOString()}</time> ${escapeHtml(await describeEntry(entry))}</li>`);
    }
    sections.push(
      `<section id="domain-${report.domid}"><h2>Domain ${report.domid}${report.name ? ` ${escapeHtml(report.name)}` : ''}</h2>` +
        `<table><caption>The ID as each party holds it</caption>${views.join('')}</table>` +
        `<ol class="timeline">${steps.join('')}</ol></section>`,
    );
  }
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>VM Generation IDs</title>' +
    '<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}' +
    'th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}.id,.hex,time{font-family:monospace}' +
    'ol.timeline li.lifecycle{font-weight:bold}ol.timeline li.notify{color:#8a3b00}</style></head>\n<body>' +
    `<h1>VM Generation IDs</h1>${sections.length > 0 ? sections.join('\n') : '<p>No guest domains.</p>'}` +
    '</body></html>\n'
  );
}

/** Writes the page to `file`; a failure is xl's usual one-line error. */
export function writeHistoryPage(file: string, page: string): void {
  try {
    writeFileSync(file, page);
  } catch (error) {
    throw new XlCliError(`xl vm-genid: cannot write ${file}: ${strerrorOf(error)}`);
  }
}

/** `--history` for `domid`, or with `--html` the page of `domid` (or of every domain when undefined). */
export async function runHistory(
  libxl: Libxl,
  domid: number | undefined,
  options: { readonly json: boolean; readonly html: string | undefined },
  context: CommandContext,
): Promise<void> {
  if (options.html !== undefined) {
    const reports = domid === undefined ? await hostHistoryReports(libxl) : [await historyReport(libxl, domid)];
    writeHistoryPage(options.html, await historyPage(reports));
    return;
  }
  const report = await historyReport(libxl, domid!);
  context.stdout.write(options.json ? `${JSON.stringify(report)}\n` : await formatHistory(report));
}
