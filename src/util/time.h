/* time.h — clocks, for the edges only. Pure cores (fc_, decide_, wire_) never
 * call these: they receive timestamps as parameters. */
#ifndef AUG_UTIL_TIME_H
#define AUG_UTIL_TIME_H

#include <stdint.h>

/* Wall clock, milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t util_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t util_mono_ns(void);

#endif
