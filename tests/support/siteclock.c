/* The tests' site clock (tests/support/siteclock.py): a process started with this library in
 * LD_PRELOAD reads the wall clock shifted by SITECLOCK_OFFSET seconds. Only the wall clock:
 * the monotonic clock, sleeps and timed waits are the kernel's, untouched (libfaketime 0.9.10,
 * Debian 12's, shifts absolute monotonic sleeps too: Python 3.11's time.sleep fails with EINVAL). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static time_t offset;
static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_gettimeofday)(struct timeval *, void *);

__attribute__((constructor)) static void siteclock_init(void) {
    const char *text = getenv("SITECLOCK_OFFSET");
    offset = text ? (time_t)strtoll(text, NULL, 10) : 0;
    real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    real_gettimeofday = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    if (!real_clock_gettime) siteclock_init();
    int done = real_clock_gettime(id, ts);
    if (done == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec += offset;
    return done;
}

int gettimeofday(struct timeval *tv, void *tz) {
    if (!real_gettimeofday) siteclock_init();
    int done = real_gettimeofday(tv, tz);
    if (done == 0) tv->tv_sec += offset;  /* tv: never NULL (glibc declares it nonnull) */
    return done;
}

time_t time(time_t *out) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (out) *out = now.tv_sec;
    return now.tv_sec;
}
