/* SIGINT / SIGTERM: set a flag that the training loop polls (it then
 * checkpoints and stops cleanly). SIGINT's handler is reset on delivery
 * (SA_RESETHAND), so a second Ctrl-C kills the process at once. */
#include <signal.h>
#include <string.h>

#include "train/run.h"

static volatile sig_atomic_t g_signal = 0;

static void on_signal(int sig) { g_signal = sig; }

void ccx_signals_install(void) {
    g_signal = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
}

int ccx_signal_received(void) { return (int)g_signal; }

void ccx_signal_fake(int sig) { g_signal = (sig_atomic_t)sig; }
