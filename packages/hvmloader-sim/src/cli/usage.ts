/** Each subcommand's usage line, apart from the command table so a subcommand module need not load the table. */
export const TABLES_USAGE = 'usage: hvmloader-sim tables --generation-id <lo:hi> --out <dir> [--vcpus <n>] [--no-acpi]\n';
export const READ_USAGE = 'usage: hvmloader-sim read <dir | table-file> [--memory <dir>] [--json]\n';
