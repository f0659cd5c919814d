/*
 * Test referee: runs Debian's real libxlutil (libxen-dev) over xl.cfg texts and prints, line by
 * line, what it reported and what its getters returned. Compiled by the test suite at test time:
 *   gcc xlu-harness.c $(pkg-config --cflags --libs xlutil) -o xlu-harness
 *
 * Input on stdin, repeated until EOF:
 *   case <nbytes> <nqueries> <source>\n  <nbytes raw bytes>  <nqueries lines "kind name [min max]">
 * kinds: string long bounded defbool list strlist (prefix "quiet-" = dont_warn)
 * Each case runs in a child process; one that libxlutil aborts prints "crash signal N".
 * Output per case (bytes outside 0x20..0x7e and backslash are written as \xHH):
 *   case <source> / report <line>... / rc <errno> / per query: query <spec>, result ..., report ... / end
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxlutil.h>
#include <sys/wait.h>
#include <unistd.h>

static char *report_buf;
static size_t report_len, report_seen;
static FILE *report;

static void put_escaped(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c <= 0x7e && c != '\\') putchar(c);
        else printf("\\x%02x", c);
    }
}

static void flush_report(void) {
    fflush(report);
    size_t start = report_seen;
    for (size_t i = report_seen; i < report_len; i++) {
        if (report_buf[i] == '\n') {
            fputs("report ", stdout);
            put_escaped(report_buf + start, i - start);
            putchar('\n');
            start = i + 1;
        }
    }
    if (start < report_len) {
        fputs("report-partial ", stdout);
        put_escaped(report_buf + start, report_len - start);
        putchar('\n');
        start = report_len;
    }
    report_seen = start;
}

static void print_value(const XLU_Config *cfg, XLU_ConfigValue *value, const char *path, int depth);

static void print_list(const XLU_Config *cfg, XLU_ConfigList *list, int count, const char *path, int depth) {
    for (int i = 0; i < count; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s%s%d", path, *path ? "." : "", i);
        const char *item = xlu_cfg_get_listitem(list, i);
        printf("listitem %s ", sub);
        if (item) { putchar('"'); put_escaped(item, strlen(item)); puts("\""); }
        else puts("NULL");
        print_value(cfg, xlu_cfg_get_listitem2(list, i), sub, depth + 1);
    }
    printf("listitem-out-of-range %s %s\n", path, xlu_cfg_get_listitem(list, count) ? "nonnull" : "NULL");
}

static void print_value(const XLU_Config *cfg, XLU_ConfigValue *value, const char *path, int depth) {
    if (!value) { printf("value %s NULL\n", path); return; }
    char *string = 0;
    XLU_ConfigList *list = 0;
    int rs = xlu_cfg_value_get_string(cfg, value, &string, 0);
    flush_report();
    int rl = xlu_cfg_value_get_list(cfg, value, &list, 0);
    flush_report();
    if (xlu_cfg_value_type(value) == XLU_STRING) {
        printf("value %s string rc=%d,%d \"", path, rs, rl);
        put_escaped(string, strlen(string));
        puts("\"");
    } else {
        int count = 0;
        while (xlu_cfg_get_listitem2(list, count)) count++;
        printf("value %s list rc=%d,%d count=%d\n", path, rs, rl, count);
        if (depth < 64) print_list(cfg, list, count, path, depth);
    }
}

static void run_query(XLU_Config *cfg, char *spec) {
    char kind[64], name[1024];
    long min = 0, max = 0;
    int n = sscanf(spec, "%63s %1023s %ld %ld", kind, name, &min, &max);
    printf("query %s\n", spec);
    if (n < 2) { puts("result bad-query"); return; }
    int quiet = 0;
    char *k = kind;
    if (!strncmp(k, "quiet-", 6)) { quiet = 1; k += 6; }
    if (!strcmp(k, "string")) {
        const char *value = 0;
        int rc = xlu_cfg_get_string(cfg, name, &value, quiet);
        printf("result rc=%d", rc);
        if (!rc) { fputs(" value=\"", stdout); put_escaped(value, strlen(value)); putchar('"'); }
        putchar('\n');
    } else if (!strcmp(k, "long") || !strcmp(k, "bounded")) {
        long value = 0;
        int rc = !strcmp(k, "long") ? xlu_cfg_get_long(cfg, name, &value, quiet)
                                    : xlu_cfg_get_bounded_long(cfg, name, min, max, &value, quiet);
        printf("result rc=%d", rc);
        if (!rc) printf(" value=%ld", value);
        putchar('\n');
    } else if (!strcmp(k, "defbool")) {
        libxl_defbool b;
        libxl_defbool_unset(&b);
        int rc = xlu_cfg_get_defbool(cfg, name, &b, quiet);
        printf("result rc=%d value=%s\n", rc, libxl_defbool_to_string(b));
    } else if (!strcmp(k, "list")) {
        XLU_ConfigList *list = 0;
        int count = -1;
        int rc = xlu_cfg_get_list(cfg, name, &list, &count, quiet);
        printf("result rc=%d", rc);
        if (!rc) printf(" count=%d", count);
        putchar('\n');
        flush_report();
        if (!rc) print_list(cfg, list, count, "", 0);
    } else if (!strcmp(k, "strlist")) {
        libxl_string_list sl = 0;
        int rc = xlu_cfg_get_list_as_string_list(cfg, name, &sl, quiet);
        printf("result rc=%d\n", rc);
        if (!rc) {
            for (int i = 0; sl[i] || 0; i++) { fputs("strlist \"", stdout); put_escaped(sl[i], strlen(sl[i])); puts("\""); }
            libxl_string_list_dispose(&sl);
        }
    } else {
        puts("result bad-query");
    }
    flush_report();
}

int main(void) {
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        char source[4096];
        long nbytes, nqueries;
        if (sscanf(line, "case %ld %ld %4095[^\n]", &nbytes, &nqueries, source) != 3) {
            fprintf(stderr, "xlu-harness: bad case line: %s", line);
            return 2;
        }
        char *data = malloc(nbytes + 1);
        if (!data || fread(data, 1, nbytes, stdin) != (size_t)nbytes) return 2;
        char **queries = calloc(nqueries + 1, sizeof *queries);
        if (!queries) return 2;
        for (long q = 0; q < nqueries; q++) {
            if (!fgets(line, sizeof line, stdin)) return 2;
            line[strcspn(line, "\n")] = 0;
            queries[q] = strdup(line);
        }
        printf("case %s\n", source);
        fflush(stdout);
        /* Each case runs in a child: libxlutil aborts on some inputs (an assertion). */
        pid_t child = fork();
        if (child < 0) return 2;
        if (child > 0) {
            int status = 0;
            waitpid(child, &status, 0);
            if (WIFSIGNALED(status)) printf("crash signal %d\n", WTERMSIG(status));
            else if (WEXITSTATUS(status) != 0) printf("crash exit %d\n", WEXITSTATUS(status));
            for (long q = 0; q < nqueries; q++) free(queries[q]);
            free(queries);
            free(data);
            puts("end");
            fflush(stdout);
            continue;
        }
        report = open_memstream(&report_buf, &report_len);
        if (!report) _exit(2);
        XLU_Config *cfg = xlu_cfg_init(report, source);
        if (!cfg) return 2;
        int rc = xlu_cfg_readdata(cfg, data, (int)nbytes);
        flush_report();
        printf("rc %d\n", rc);
        for (long q = 0; q < nqueries; q++) run_query(cfg, queries[q]);
        xlu_cfg_destroy(cfg);
        fflush(stdout);
        _exit(0);
    }
    return 0;
}
