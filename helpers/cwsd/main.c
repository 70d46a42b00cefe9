/* cwsd — the host agent. Owns everything slow or secret (registry client,
 * host key, binding store) so that pam_cws.so stays thin. Listens only on
 * a UNIX SOCK_SEQPACKET socket and authorises every request by SO_PEERCRED
 * (ops.c). The parts are listed in cwsd.h. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include "cli.h"
#include "cwsd.h"
#include "cws/cleanup.h"
#include "cws/safe_file.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: cwsd [--config PATH]\n"
                "The pam_cws host agent: validates device bindings for pam_cws.so and\n"
                "the cws-* helpers over a UNIX socket.\n\n"
                "  -c, --config PATH   configuration file (default %s)\n"
                "  -h, --help          show this help\n"
                "  -V, --version       show the version\n",
                CWS_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { 0 },
        };
        const char *config = NULL;
        agent a = { .state_fd = -1 };
        cws_error err = { 0 };
        sigset_t ss;
        int c, fd, r;

        cli_program = "cwsd";
        while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
                switch (c) {
                case 'c': config = optarg; break;
                case 'h': usage(stdout); return CWS_EXIT_OK;
                case 'V': cli_version(); return CWS_EXIT_OK;
                default: usage(stderr); return CWS_EXIT_USAGE;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return CWS_EXIT_USAGE;
        }
        umask(077);
        cws_peer_limits_init(&a.limits, raise_fd_limit());
        a.config_path = config;
        if (cli_load_config(config, &a.cfg) != 0)
                return CWS_EXIT_CONFIG;
        if (cws_dir_ensure(a.cfg.state_dir, 0700, &err) < 0 ||
            (a.state_fd = cws_dir_open_checked(a.cfg.state_dir, &err)) < 0 ||
            cws_host_key_load(a.cfg.state_dir, a.host_key, true, &err) < 0)
                return cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
        if (cws_registry_open_config(&a.cfg, &a.registry, &err) < 0)
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        /* A bucket without object lock is a setting, refused; a store that
         * cannot be asked now is the offline rules' business. */
        r = cws_registry_require_object_lock(&a.cfg, a.registry, &err);
        if (r == -ENOTSUP) {
                cws_registry_free(a.registry);
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        }
        if (r < 0)
                log_line(LOG_WARNING, "cannot check the bucket's object lock now: %s", cws_error_message(&err));
        fd = listen_socket(a.cfg.socket_path, &a.socket_activated);
        if (fd < 0) {
                cws_registry_free(a.registry);
                return CWS_EXIT_CONFIG;
        }
        groups_publish(&a, true, 0);
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* After the mask: the sender thread must not take SIGTERM. */
        if (alerts_start(&a, &err) < 0)
                return cli_fail(CWS_EXIT_CONFIG, "%s", cws_error_message(&err));
        /* NULL (out of memory) only turns correlation off. */
        void *sink_data;
        cws_alert_sink sink = alerts_sink(&a, &sink_data);
        a.corr = cws_correlator_new(&a.cfg, sink, sink_data);
        a.cache_memo = calloc(1, sizeof(*a.cache_memo));   /* NULL: read from disk each time */
        if ((r = sd_event_default(&a.event)) < 0 ||
            (r = sd_event_add_signal(a.event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(a.event, NULL, SIGINT, NULL, NULL)) < 0 ||
            (r = sd_event_add_io(a.event, &a.listener, fd, EPOLLIN, on_accept, &a)) < 0 ||
            (r = monitor_start(&a)) < 0 ||
            (r = posture_start(&a)) < 0 ||
            (r = sd_event_set_watchdog(a.event, true)) < 0)
                return cli_fail(CWS_EXIT_CONFIG, "event loop: %s", strerror(-r));
        a.queue_max = a.cfg.queue_max;
        if (workers_start(&a, a.cfg.workers, a.cfg.queue_max, &err) < 0)
                return cli_fail(CWS_EXIT_REGISTRY, "%s", cws_error_message(&err));
        log_line(LOG_INFO, "cwsd %s listening on %s (registry %s, %u workers, queue %u)",
                 CWS_VERSION, a.cfg.socket_path, a.cfg.registry_url, a.cfg.workers,
                 a.cfg.queue_max);
        sd_notify(0, "READY=1\nSTATUS=Serving");
        r = sd_event_loop(a.event);
        sd_notify(0, "STOPPING=1");
        if (!a.socket_activated)
                (void)unlink(a.cfg.socket_path);
        cws_wipe(a.host_key, sizeof(a.host_key));
        server_close_all(&a);
        workers_stop(&a);
        alerts_stop(&a);
        cws_registry_free(a.registry);
        free(a.cache_memo);
        registry_health_free(&a);
        posture_free(&a);
        sd_event_source_disable_unref(a.monitor);
        sd_event_source_disable_unref(a.accept_pause);
        sd_event_source_disable_unref(a.listener);
        sd_event_unref(a.event);
        cws_peer_limits_free(&a.limits);
        cws_groups_free(&a.groups);
        cws_correlator_free(a.corr);
        return r < 0 ? CWS_EXIT_CONFIG : CWS_EXIT_OK;
}
