/* The progress line: a bar redrawn in place on a terminal, plain periodic
 * lines otherwise (logs, pipes, CI). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "train/run.h"
#include "util/clock.h"

struct ccx_progress {
    FILE *out;
    int tty;
    double plain_every_s;
    double start, last;  /* creation time, last output (-1: none yet) */
    size_t last_len;     /* visible length of the line on the terminal */
};

ccx_progress *ccx_progress_create(FILE *out, double plain_every_s) {
    ccx_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->out = out ? out : stderr;
    p->tty = isatty(fileno(p->out));
    p->plain_every_s = plain_every_s > 0 ? plain_every_s : 0;
    p->start = ccx_now_s();
    p->last = -1;
    return p;
}

/* "42s", "3m05s", "2h14m" */
static void fmt_duration(double s, char *buf, size_t size) {
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, size, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60) snprintf(buf, size, "%lds", t);
    else if (t < 3600) snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, size, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

/* "950", "12.3k"-style but in the header's form: "1.2e6" above 10^4 */
static void fmt_rate(double r, char *buf, size_t size) {
    if (!(r >= 0) || !isfinite(r)) snprintf(buf, size, "?");
    else if (r < 1e4) snprintf(buf, size, "%.0f", r);
    else {
        int e = (int)floor(log10(r));
        double m = r / pow(10, e);
        if (m >= 9.95) {
            m /= 10;
            e++;
        }
        snprintf(buf, size, "%.1fe%d", m, e);
    }
}

static int term_width(const ccx_progress *p) {
    struct winsize ws;
    if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
    return 100;
}

/* The line without a newline. */
static void compose(const ccx_progress *p, double fraction, double steps_per_s, const char *text,
                    char *buf, size_t size) {
    double now = ccx_now_s(), elapsed = now - p->start;
    size_t n = 0;
    char rate[32], dur[32];
    if (fraction >= 0) {
        double f = fraction > 1 ? 1 : fraction;
        int fill = (int)(f * 10 + 1e-9);
        char bar[16];
        for (int i = 0; i < 10; i++) bar[i] = i < fill ? '#' : '.';
        bar[10] = '\0';
        n += (size_t)snprintf(buf + n, size - n, "[%s] %3d%%", bar, (int)(f * 100));
    } else {
        fmt_duration(elapsed, dur, sizeof dur);
        n += (size_t)snprintf(buf + n, size - n, "%s", dur);
    }
    if (n < size && steps_per_s >= 0) {
        fmt_rate(steps_per_s, rate, sizeof rate);
        n += (size_t)snprintf(buf + n, size - n, " %s steps/s", rate);
    }
    if (n < size && fraction > 0 && fraction < 1) {
        fmt_duration(elapsed * (1 - fraction) / fraction, dur, sizeof dur);
        n += (size_t)snprintf(buf + n, size - n, " ETA %s", dur);
    }
    if (n < size && text && *text) snprintf(buf + n, size - n, " | %s", text);
}

static void draw_tty(ccx_progress *p, const char *line, int final) {
    size_t w = (size_t)term_width(p) - 1, len = strlen(line);
    if (len > w) len = w; /* never wrap: \r could not redraw a wrapped line */
    fprintf(p->out, "\r%.*s", (int)len, line);
    if (p->last_len > len) fprintf(p->out, "%*s", (int)(p->last_len - len), "");
    p->last_len = final ? 0 : len;
    if (final) fputc('\n', p->out);
    fflush(p->out);
}

void ccx_progress_update(ccx_progress *p, double fraction, double steps_per_s, const char *text) {
    if (!p) return;
    double now = ccx_now_s();
    double every = p->tty ? 0.1 : p->plain_every_s;
    if (p->last >= 0 && now - p->last < every) return;
    p->last = now;
    char line[1024];
    compose(p, fraction, steps_per_s, text, line, sizeof line);
    if (p->tty) draw_tty(p, line, 0);
    else {
        fprintf(p->out, "%s\n", line);
        fflush(p->out);
    }
}

void ccx_progress_finish(ccx_progress *p, const char *text) {
    if (!p) return;
    char dur[32], line[1024];
    fmt_duration(ccx_now_s() - p->start, dur, sizeof dur);
    snprintf(line, sizeof line, "done in %s%s%s", dur, text && *text ? " | " : "", text ? text : "");
    if (p->tty) draw_tty(p, line, 1);
    else {
        fprintf(p->out, "%s\n", line);
        fflush(p->out);
    }
    p->last = ccx_now_s();
}

void ccx_progress_free(ccx_progress *p) { free(p); }
