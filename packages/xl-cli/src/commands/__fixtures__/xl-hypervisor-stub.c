/*
 * Test referee support: lets Debian's real `xl` 4.17 run on a machine without Xen. Preloaded
 * (LD_PRELOAD) into xl, it answers the libxc / libxenstore calls xl makes before and while parsing
 * a config (context set-up, version, physinfo: a fixed 8-CPU host), and the read-only domain
 * queries of `xl list`, `vm-list`, `domid`, `domname` and friends from a fake domain table: the
 * file named by XL_STUB_DOMAINS, one domain a line,
 *
 *   <domid> <flags> <tot_pages> <max_pages> <outstanding_pages> <cpu_time_ns> <vcpus> <cpupool> <uuid> <name>
 *
 * (flags as XEN_DOMINF_*, the shutdown reason in bits 16..23; name `-` for a domain without one).
 * Without the variable the table holds Domain-0 alone. A domain not in the table is ESRCH.
 * Compiled by the tests at test time: gcc -shared -fPIC -o stub.so xl-hypervisor-stub.c
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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

#define MAX_DOMAINS 64

struct fake_domain {
    xc_domaininfo_t info;
    char name[256];
    int named;
};

static struct fake_domain domains[MAX_DOMAINS];
static int domain_count = -1;

static void load_domains(void) {
    if (domain_count >= 0) return;
    domain_count = 0;
    const char *path = getenv("XL_STUB_DOMAINS");
    FILE *file = path ? fopen(path, "r") : NULL;
    if (!file) {
        struct fake_domain *dom0 = &domains[domain_count++];
        memset(dom0, 0, sizeof *dom0);
        dom0->info.flags = XEN_DOMINF_running;
        dom0->info.tot_pages = dom0->info.max_pages = 1 << 20;
        dom0->info.nr_online_vcpus = 2;
        dom0->info.max_vcpu_id = 1;
        strcpy(dom0->name, "Domain-0");
        dom0->named = 1;
        return;
    }
    char line[512];
    while (domain_count < MAX_DOMAINS && fgets(line, sizeof line, file)) {
        struct fake_domain *d = &domains[domain_count];
        unsigned domid, flags, vcpus, cpupool;
        unsigned long long tot, max, outstanding, cpu_time;
        char uuid[40], name[256];
        if (sscanf(line, "%u %u %llu %llu %llu %llu %u %u %39s %255s", &domid, &flags, &tot, &max, &outstanding, &cpu_time, &vcpus, &cpupool, uuid, name) != 10) continue;
        memset(d, 0, sizeof *d);
        d->info.domain = domid;
        d->info.flags = flags;
        d->info.tot_pages = tot;
        d->info.max_pages = max;
        d->info.outstanding_pages = outstanding;
        d->info.cpu_time = cpu_time;
        d->info.nr_online_vcpus = vcpus;
        d->info.max_vcpu_id = vcpus ? vcpus - 1 : XEN_INVALID_MAX_VCPU_ID;
        d->info.cpupool = cpupool;
        for (int i = 0; i < 16; i++) {
            unsigned byte;
            const char *at = uuid + 2 * i + (i >= 4) + (i >= 6) + (i >= 8) + (i >= 10);
            if (sscanf(at, "%2x", &byte) == 1) d->info.handle[i] = byte;
        }
        d->named = strcmp(name, "-") != 0;
        if (d->named) strcpy(d->name, name);
        domain_count++;
    }
    fclose(file);
}

static struct fake_domain *find_fake(uint32_t domid) {
    load_domains();
    for (int i = 0; i < domain_count; i++) if (domains[i].info.domain == domid) return &domains[i];
    return NULL;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains, xc_domaininfo_t *info) {
    (void)xch;
    load_domains();
    unsigned int count = 0;
    for (int i = 0; i < domain_count && count < max_domains; i++)
        if (domains[i].info.domain >= first_domain) info[count++] = domains[i].info;
    return (int)count;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms, xc_dominfo_t *info) {
    (void)xch;
    load_domains();
    unsigned int count = 0;
    for (int i = 0; i < domain_count && count < max_doms; i++) {
        const xc_domaininfo_t *d = &domains[i].info;
        if (d->domain < first_domid) continue;
        xc_dominfo_t *out = &info[count++];
        memset(out, 0, sizeof *out);
        out->domid = d->domain;
        out->dying = !!(d->flags & XEN_DOMINF_dying);
        out->shutdown = !!(d->flags & XEN_DOMINF_shutdown);
        out->paused = !!(d->flags & XEN_DOMINF_paused);
        out->blocked = !!(d->flags & XEN_DOMINF_blocked);
        out->running = !!(d->flags & XEN_DOMINF_running);
        out->hvm = !!(d->flags & XEN_DOMINF_hvm_guest);
        out->shutdown_reason = (d->flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
        out->nr_pages = d->tot_pages;
        out->max_memkb = d->max_pages * 4;
        out->cpu_time = d->cpu_time;
        out->nr_online_vcpus = d->nr_online_vcpus;
        out->max_vcpu_id = d->max_vcpu_id;
        out->cpupool = d->cpupool;
        memcpy(out->handle, d->handle, sizeof out->handle);
    }
    return (int)count;
}

/* No XSM policy: no security label (as Xen's dummy XSM answers). */
int xc_flask_sid_to_context(xc_interface *xch, int sid, char *buf, uint32_t size) {
    (void)xch; (void)sid; (void)buf; (void)size;
    errno = ENOSYS;
    return -1;
}

int xc_domain_node_getaffinity(xc_interface *xch, uint32_t domid, xc_nodemap_t nodemap) {
    (void)xch;
    if (!find_fake(domid)) { errno = ESRCH; return -1; }
    nodemap[0] = 1;
    return 0;
}

/* xenstore: each domain's name, and Pool-0's; nothing else exists. */
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len) {
    (void)h; (void)t;
    unsigned domid;
    char tail[64];
    const char *value = NULL;
    if (sscanf(path, "/local/domain/%u/%63s", &domid, tail) == 2 && strcmp(tail, "name") == 0) {
        struct fake_domain *d = find_fake(domid);
        if (d && d->named) value = d->name;
    } else if (strcmp(path, "/local/pool/0/name") == 0) {
        value = "Pool-0";
    }
    if (!value) { errno = ENOENT; return NULL; }
    if (len) *len = (unsigned)strlen(value);
    return strdup(value);
}

char *xs_get_domain_path(struct xs_handle *h, unsigned int domid) {
    (void)h;
    char *path = malloc(32);
    if (path) snprintf(path, 32, "/local/domain/%u", domid);
    return path;
}
