/*
 * Test referee: Debian's real libxenlight 4.17 reads each file named on the command line with
 * libxl_domain_config_from_json and writes it back with libxl_domain_config_to_json. Output, per
 * file: "=== <rc>\n" then the JSON (empty when rc != 0). Runs without Xen: the libxc and
 * libxenstore handles libxl_ctx_alloc opens are stood in for here (nothing else is called).
 * Built by the test: gcc -o referee libxl-json-referee.c -lxenlight -lxentoollog
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <libxl.h>

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger, unsigned flags) {
    (void)logger; (void)dombuild_logger; (void)flags;
    return calloc(1, 4096);
}
int xc_interface_close(xc_interface *xch) { free(xch); return 0; }
struct xs_handle *xs_open(unsigned long flags) { (void)flags; return calloc(1, 4096); }
void xs_close(struct xs_handle *xsh) { free(xsh); }

static char *slurp(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    size_t size = 0, capacity = 4096;
    char *text = malloc(capacity);
    size_t got;
    while ((got = fread(text + size, 1, capacity - size - 1, file)) > 0) {
        size += got;
        if (capacity - size < 2) text = realloc(text, capacity *= 2);
    }
    fclose(file);
    text[size] = 0;
    return text;
}

int main(int argc, char **argv) {
    xentoollog_logger *logger = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
    libxl_ctx *ctx = NULL;
    if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, logger)) {
        fprintf(stderr, "libxl_ctx_alloc failed\n");
        return 2;
    }
    for (int index = 1; index < argc; index++) {
        char *text = slurp(argv[index]);
        if (!text) { fprintf(stderr, "cannot read %s\n", argv[index]); return 2; }
        libxl_domain_config config;
        libxl_domain_config_init(&config);
        int rc = libxl_domain_config_from_json(ctx, &config, text);
        printf("=== %d\n", rc);
        if (!rc) {
            char *json = libxl_domain_config_to_json(ctx, &config);
            fputs(json ? json : "(null)\n", stdout);
            free(json);
        }
        libxl_domain_config_dispose(&config);
        free(text);
    }
    fflush(stdout);
    libxl_ctx_free(ctx);
    return 0;
}
