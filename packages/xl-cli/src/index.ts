export {
  parseXlCfg,
  type ParseXlCfgOptions,
  type ParseXlCfgResult,
} from './config/parse-xl-cfg.ts';
export {
  getBoundedLong,
  getDefbool,
  getList,
  getListAsStringList,
  getListItem,
  getListItemValue,
  getLong,
  getString,
  valueGetList,
  valueGetString,
  LONG_MAX,
  LONG_MIN,
  type XlCfgGetOptions,
  type XlCfgResult,
} from './config/getters.ts';
export {
  XLU_ERRNO,
  type XlCfg,
  type XlCfgDiagnostic,
  type XlCfgEncoding,
  type XlCfgList,
  type XlCfgOperation,
  type XlCfgSetting,
  type XlCfgString,
  type XlCfgValue,
  type XluErrno,
} from './config/xl-cfg.ts';
export { XL_EXIT, XlCliError } from './errors.ts';
export {
  appendExtraConfig,
  parseConfigData,
  type ConfigDeviceSpecs,
  type ParseConfigDataOptions,
  type ParseConfigDataResult,
} from './config/to-domain-config.ts';
export {
  commandTable,
  defineCommand,
  lookupCommand,
  type CommandModule,
  type CommandSpec,
  type OptionSpec,
} from './command-table.ts';
export type { CommandContext, CommandInput, GlobalOptions, OutputStream, ToolstackParts } from './command-context.ts';
export { main } from './main.ts';
