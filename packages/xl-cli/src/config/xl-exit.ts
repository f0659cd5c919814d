/**
 * Where `parse_config_data` (tools/xl/xl_parse.c) and the parsers it calls would `exit()`: thrown
 * after the messages are recorded, caught once by `parseConfigData`.
 */
export class XlExit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/** `exit(-ERROR_FAIL)`: libxl's ERROR_FAIL is -3. */
export const EXIT_ERROR_FAIL = 3;
