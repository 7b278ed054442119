// LD_PRELOAD shim that moves a process's wall clock by SPATE_CLOCK_SKEW_MS
// milliseconds (negative: behind) and leaves every other clock alone
// (tests/cluster/: clock skew of one cluster node).
//
// Why not libfaketime: 0.9.10 (Debian 12) resolves the real clock_gettime
// with dlsym() on its first call; spated links jemalloc, whose initialisation
// calls clock_gettime() from inside that dlsym()'s allocation, so libfaketime
// detects the recursion, returns -1 and the process hangs (upstream
// wolfcw/libfaketime issue 130, open). This shim never calls dlsym(): it asks
// the kernel directly (the clock_gettime system call), so it is safe however
// early it is first called.
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long skew_ns(void) {
  // getenv allocates nothing, so this is safe even inside malloc's start-up.
  static long long cached;
  static int loaded;
  if (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) {
    const char* s = getenv("SPATE_CLOCK_SKEW_MS");
    __atomic_store_n(&cached, s ? strtoll(s, NULL, 10) * 1000000LL : 0, __ATOMIC_RELAXED);
    __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
  }
  return __atomic_load_n(&cached, __ATOMIC_RELAXED);
}

static void add_ns(struct timespec* ts, long long ns) {
  long long total = (long long)ts->tv_nsec + ns % 1000000000LL;
  ts->tv_sec += ns / 1000000000LL + total / 1000000000LL;
  total %= 1000000000LL;
  if (total < 0) {
    total += 1000000000LL;
    ts->tv_sec -= 1;
  }
  ts->tv_nsec = total;
}

int clock_gettime(clockid_t id, struct timespec* ts) {
  long r = syscall(SYS_clock_gettime, id, ts);
  if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) add_ns(ts, skew_ns());
  return (int)r;
}

int gettimeofday(struct timeval* tv, void* tz) {
  (void)tz;
  struct timespec ts;
  int r = clock_gettime(CLOCK_REALTIME, &ts);
  if (r == 0 && tv != NULL) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return r;
}

time_t time(time_t* out) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
  if (out != NULL) *out = ts.tv_sec;
  return ts.tv_sec;
}
