/* accuracy.c — the rolling forecast error (accuracy.h has the definition
 * and why it is weighted).
 *
 * The sums are recomputed from the 64 entries on every read instead of
 * kept running: a running sum of a sliding window drifts by rounding, and
 * 128 additions per read are nothing next to a model update. */
#include "forecast/accuracy.h"

void fc_acc_reset(fc_acc *a)
{
    memset(a, 0, sizeof *a);
}

bool fc_acc_add(fc_acc *a, double y, double yhat)
{
    if (!isfinite(y) || !isfinite(yhat))
        return false;
    a->err[a->head] = fabs(y - yhat);
    a->act[a->head] = fabs(y);
    a->head = (uint16_t)((a->head + 1) % FC_ACC_WINDOW);
    if (a->n < FC_ACC_WINDOW)
        a->n++;
    return true;
}

double fc_acc_error(const fc_acc *a)
{
    if (a->n == 0)
        return (double)NAN;
    double e = 0, y = 0;
    for (uint16_t i = 0; i < a->n; i++) {
        e += a->err[i];
        y += a->act[i];
    }
    if (y > 0)
        return e / y;
    return e > 0 ? (double)INFINITY : 0.0;
}

bool fc_acc_check(const fc_acc *a)
{
    if (a->n > FC_ACC_WINDOW || a->head >= FC_ACC_WINDOW)
        return false;
    for (int i = 0; i < FC_ACC_WINDOW; i++)
        if (!(a->err[i] >= 0 && isfinite(a->err[i]) && a->act[i] >= 0 && isfinite(a->act[i])))
            return false;
    return true;
}
