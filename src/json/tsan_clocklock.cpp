// SPDX-License-Identifier: Apache-2.0
// ThreadSanitizer builds only (REEL_SANITIZE=thread). libstdc++ (GCC 11+) locks
// std::timed_mutex and std::recursive_timed_mutex with a timeout through
// pthread_mutex_clocklock, which the ThreadSanitizer runtimes of GCC 12 and Clang 14 do not
// intercept: TSan misses the lock, then reports "unlock of an unlocked mutex" and races on
// everything the mutex protects (stream_processor::stats(), which waits at most 100 ms for the
// processing thread). This definition takes precedence over the C library's and locks with
// pthread_mutex_timedlock, which TSan intercepts, at the same deadline on CLOCK_REALTIME.
#include <pthread.h>
#include <time.h>

#include <cstdint>

extern "C" int pthread_mutex_clocklock(pthread_mutex_t* mutex, clockid_t clock,
                                       const struct timespec* deadline) noexcept {
  constexpr std::int64_t billion = 1'000'000'000;
  struct timespec now {};
  struct timespec now_realtime {};
  clock_gettime(clock, &now);
  clock_gettime(CLOCK_REALTIME, &now_realtime);
  std::int64_t left = (deadline->tv_sec - now.tv_sec) * billion + (deadline->tv_nsec - now.tv_nsec);
  if (left < 0) left = 0;
  const std::int64_t at = now_realtime.tv_sec * billion + now_realtime.tv_nsec + left;
  const struct timespec realtime_deadline {
    static_cast<time_t>(at / billion), static_cast<long>(at % billion)
  };
  return pthread_mutex_timedlock(mutex, &realtime_deadline);
}
