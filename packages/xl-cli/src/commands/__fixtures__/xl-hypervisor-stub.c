/*
 * Test referee support: lets Debian's real `xl` 4.17 run `xl -N create` on a machine without Xen.
 * Preloaded (LD_PRELOAD) into xl, it answers the few libxc / libxenstore calls xl makes before and
 * while parsing a config (context set-up, version, physinfo: a fixed 8-CPU host) and nothing else.
 * Compiled by the tests at test time: gcc -shared -fPIC -o stub.so xl-hypervisor-stub.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xen/version.h>

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger, unsigned flags) {
    (void)logger; (void)dombuild_logger; (void)flags;
    return calloc(1, 4096);
}
int xc_interface_close(xc_interface *xch) { free(xch); return 0; }
struct xs_handle *xs_open(unsigned long flags) { (void)flags; return calloc(1, 4096); }
void xs_close(struct xs_handle *xsh) { free(xsh); }

int xc_physinfo(xc_interface *xch, xc_physinfo_t *info) {
    (void)xch;
    memset(info, 0, sizeof *info);
    info->nr_cpus = 8;
    info->max_cpu_id = 7;
    info->threads_per_core = 1;
    info->cores_per_socket = 8;
    info->nr_nodes = 1;
    info->total_pages = 1 << 22;
    info->free_pages = 1 << 21;
    info->cpu_khz = 2000000;
    return 0;
}
int xc_get_max_cpus(xc_interface *xch) { (void)xch; return 8; }
int xc_get_max_nodes(xc_interface *xch) { (void)xch; return 1; }
int xc_get_online_cpus(xc_interface *xch) { (void)xch; return 8; }
long xc_memory_op(xc_interface *xch, unsigned int cmd, void *arg, size_t len) { (void)xch; (void)cmd; (void)arg; (void)len; return 0; }
long xc_sharing_freed_pages(xc_interface *xch) { (void)xch; return 0; }
long xc_sharing_used_frames(xc_interface *xch) { (void)xch; return 0; }

int xc_version(xc_interface *xch, int cmd, void *arg) {
    (void)xch;
    switch (cmd) {
    case XENVER_version: return (4 << 16) | 17;
    case XENVER_extraversion: memset(arg, 0, sizeof(xen_extraversion_t)); return 0;
    case XENVER_compile_info: memset(arg, 0, sizeof(xen_compile_info_t)); return 0;
    case XENVER_capabilities: memset(arg, 0, sizeof(xen_capabilities_info_t)); return 0;
    case XENVER_changeset: memset(arg, 0, sizeof(xen_changeset_info_t)); return 0;
    case XENVER_platform_parameters: memset(arg, 0, sizeof(xen_platform_parameters_t)); return 0;
    case XENVER_get_features: memset(arg, 0, sizeof(xen_feature_info_t)); return 0;
    case XENVER_pagesize: return 4096;
    case XENVER_commandline: memset(arg, 0, sizeof(xen_commandline_t)); return 0;
    default: return -1;
    }
}
