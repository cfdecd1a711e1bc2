/* accuracy.h — the rolling forecast error: the one definition behind
 * ai_<name>_forecast_error{horizon}, the scalers' confidence gate
 * (scalers[].max_error) in the daemon, and the same gate in
 * `augurctl simulate`, so a replay gates exactly as the daemon would.
 *
 * Definition: over the last FC_ACC_WINDOW forecasts matched with their
 * actual, sum |y − ŷ| / sum |y| — the weighted absolute percentage error
 * (WAPE). A fraction (0.05 = 5%), the unit of max_error. When every actual
 * in the window is 0 it is 0 if every forecast was 0 too, else +Inf.
 *
 * Why weighted: the plain mean of |y − ŷ| / |y| is dominated by the
 * smallest actuals. On a series of small counts (2 requests a minute at
 * night) it reads 100% and more while the forecast is as good as such a
 * series allows, and a scaler gated on it falls back to its reactive rule
 * most of the night; the weighted error reads the error in proportion to
 * the load, which is what capacity is about.
 *
 * Pure: no I/O, no clock, no heap. A fc_acc is a caller-owned value (it is
 * embedded in predict's groups and saved with them, src/predict/record.c).
 * Not thread-safe: one owner.
 */
#ifndef AUG_FORECAST_ACCURACY_H
#define AUG_FORECAST_ACCURACY_H

#include "util/common.h"

#define FC_ACC_WINDOW 64

typedef struct fc_acc {
    double err[FC_ACC_WINDOW]; /* |y − ŷ| per matched forecast (ring) */
    double act[FC_ACC_WINDOW]; /* |y| of the same; slots >= n unused (0) */
    uint16_t n;                /* entries held, <= FC_ACC_WINDOW */
    uint16_t head;             /* next slot written, < FC_ACC_WINDOW */
} fc_acc;

/* Empties the window. */
void fc_acc_reset(fc_acc *a);

/* Adds forecast yhat against actual y. Non-finite values are ignored
 * (returns false). */
bool fc_acc_add(fc_acc *a, double y, double yhat);

/* The window's error; NaN when it is empty. */
double fc_acc_error(const fc_acc *a);

/* Whether n, head and every held value are in range (for decoders of saved
 * windows): finite and >= 0. */
bool fc_acc_check(const fc_acc *a);

#endif
