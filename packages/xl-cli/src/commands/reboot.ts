/** `xl reboot [-a] [-w] [-F] <Domain>` (main_reboot, `tools/xl/xl_vmcontrol.c`). */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { shutdownOrReboot, type ShutdownOptions } from './shutdown.ts';

export type RebootOptions = ShutdownOptions;

export async function run(input: CommandInput<RebootOptions>, context: CommandContext): Promise<number> {
  return shutdownOrReboot('reboot', input, context);
}
