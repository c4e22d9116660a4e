/* Wake-to-run delay of a sleeper beside CPU hogs on one core (gil-model.md rule 25).
 *
 * Build and run (Linux):  cc -O2 -o /tmp/wake_to_run scripts/measure/wake_to_run.c && /tmp/wake_to_run
 *
 * Part 1, slices: two hogs pinned to one core; the lengths of their uninterrupted runs.
 * Part 2, pipe: HOGS hogs and a reader pinned to core 0; a writer on core 1 writes its
 * CLOCK_MONOTONIC stamp into a pipe every GAP µs; the reader, woken by each write, records
 * now - stamp (the wake-to-run delay: the futex/pipe wake-up plus any wait for the core), then
 * spins WORK µs and reads again.
 * Part 3, nanosleep: the same reader, but it sleeps GAP µs with clock_nanosleep (timer slack
 * set to 1 ns) and records how late it runs.
 * Prints p50/p90/p99/max in µs and the share of delays over 100 µs and over 1 ms. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (sched_setaffinity(0, sizeof s, &s)) { perror("sched_setaffinity"); exit(1); }
}

static void spin_us(long long us) {
    long long end = now_ns() + us * 1000;
    while (now_ns() < end) {}
}

static pid_t hog(int cpu) {
    pid_t p = fork();
    if (p == 0) { pin(cpu); for (;;) {} }
    return p;
}

static int cmp(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, long long *d, int n) {
    qsort(d, n, sizeof *d, cmp);
    int over100 = 0, over1ms = 0;
    double mean = 0;
    for (int i = 0; i < n; i++) { over100 += d[i] > 100000; over1ms += d[i] > 1000000; mean += d[i]; }
    printf("%-44s n=%4d p50 %8.1f p90 %8.1f p99 %8.1f max %8.1f mean %8.1f µs  >100µs %5.1f%%  >1ms %5.1f%%\n",
           what, n, d[n / 2] / 1e3, d[n * 9 / 10] / 1e3, d[n * 99 / 100] / 1e3, d[n - 1] / 1e3,
           mean / n / 1e3, 100.0 * over100 / n, 100.0 * over1ms / n);
    fflush(stdout);
}

static void slices(void) {
    int fd[2];
    if (pipe(fd)) exit(1);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            pin(0);
            long long runs[4000];
            int n = 0;
            long long start = now_ns(), prev = start, run_start = start;
            while (prev - start < 2000000000LL && n < 4000) {
                long long t = now_ns();
                if (t - prev > 20000) { if (run_start != start) runs[n++] = prev - run_start; run_start = t; }
                prev = t;
            }
            if (k == 0) report("slices: two hogs on one core, run length", runs, n);
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) waitpid(kids[k], 0, 0);
}

static void sleeper(int hogs, long long gap_us, long long work_us, int use_pipe, int n) {
    pid_t h[4];
    for (int i = 0; i < hogs; i++) h[i] = hog(0);
    int fd[2];
    if (pipe(fd)) exit(1);
    pid_t writer = -1;
    if (use_pipe) {
        writer = fork();
        if (writer == 0) {
            pin(1);
            close(fd[0]);
            for (;;) {
                struct timespec ts = {gap_us / 1000000, (gap_us % 1000000) * 1000};
                nanosleep(&ts, 0);
                long long t = now_ns();
                if (write(fd[1], &t, sizeof t) != sizeof t) _exit(0);
            }
        }
        close(fd[1]);
    }
    pid_t reader = fork();
    if (reader == 0) {
        pin(0);
        prctl(PR_SET_TIMERSLACK, 1UL);
        long long *d = calloc(n, sizeof *d);
        spin_us(50000); /* the hogs settle first */
        for (int i = 0; i < n + 20; i++) {
            long long late;
            if (use_pipe) {
                long long stamp;
                if (read(fd[0], &stamp, sizeof stamp) != sizeof stamp) exit(1);
                late = now_ns() - stamp;
            } else {
                long long want = now_ns() + gap_us * 1000;
                struct timespec ts = {want / 1000000000LL, want % 1000000000LL};
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, 0);
                late = now_ns() - want;
            }
            if (i >= 20) d[i - 20] = late;
            spin_us(work_us);
        }
        char what[96];
        snprintf(what, sizeof what, "%s: %d hog(s), gap %lld µs, work %lld µs",
                 use_pipe ? "pipe" : "nanosleep", hogs, gap_us, work_us);
        report(what, d, n);
        _exit(0);
    }
    waitpid(reader, 0, 0);
    if (writer > 0) { kill(writer, SIGKILL); waitpid(writer, 0, 0); }
    for (int i = 0; i < hogs; i++) { kill(h[i], SIGKILL); waitpid(h[i], 0, 0); }
    close(fd[0]);
}

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    slices();
    long long gaps[] = {100, 1000, 10000};
    long long works[] = {10, 200};
    for (int use_pipe = 1; use_pipe >= 0; use_pipe--)
        for (int hogs = 0; hogs <= 2; hogs++)
            for (int g = 0; g < 3; g++)
                for (int w = 0; w < 2; w++) {
                    if (hogs == 0 && w == 1) continue;
                    int n = gaps[g] >= 10000 ? 200 : 600;
                    sleeper(hogs, gaps[g], works[w], use_pipe, n);
                }
    return 0;
}
