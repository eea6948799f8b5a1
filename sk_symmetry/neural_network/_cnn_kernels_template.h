/*
 * The passes of _cnn_kernels.c for one element type T (see dtype.h); the
 * includer defines SK_DTYPE and includes dtype.h first. Every pass does the
 * arithmetic of its numpy counterpart in _cnn_layers.py in the same order, so
 * that the results are the same bits (see the header of _cnn_kernels.c).
 */

/* numpy's maximum(a, b): a if a > b or a is NaN, else b (so -0.0 and 0.0
 * give b, and a NaN on either side propagates). */
static inline T
FN(np_maximum)(T a, T b)
{
    return (a > b || a != a) ? a : b;
}

/* cols[(img, y, x), (i, j, ch)] = A[img, y + i d - top, x + j d - left, ch],
 * zero outside A, or read around the torus with wrap. Tap by tap along each
 * output row, so that the inner loop is a plain strided copy. */
static void
FN(im2col)(const T *restrict src, T *restrict cols, const conv_geometry *g)
{
    const Py_ssize_t h = g->h, w = g->w, c = g->c, d = g->dilation;
    const Py_ssize_t out_w = g->out_w, kw = g->kw, row_len = g->kh * kw * c;
    for (Py_ssize_t img = 0; img < g->n; img++) {
        const T *image = src + img * h * w * c;
        for (Py_ssize_t y = 0; y < g->out_h; y++) {
            T *rows = cols + (img * g->out_h + y) * out_w * row_len;
            for (Py_ssize_t i = 0; i < g->kh; i++) {
                Py_ssize_t sy = y + i * d - g->top;
                const int inside = g->wrap || (sy >= 0 && sy < h);
                const T *line = inside ? image + wrap_index(sy, h) * w * c : NULL;
                for (Py_ssize_t j = 0; j < kw; j++) {
                    T *cell = rows + (i * kw + j) * c;
                    const Py_ssize_t shift = j * d - g->left; /* sx = x + shift */
                    /* the output columns whose source column is inside */
                    Py_ssize_t x0 = 0, x1 = 0;
                    if (inside && !g->wrap) {
                        x0 = shift >= 0 ? 0 : -shift < out_w ? -shift : out_w;
                        x1 = w - shift < out_w ? w - shift : out_w;
                        x1 = x1 < x0 ? x0 : x1;
                    }
                    else if (inside) {
                        x1 = out_w;
                    }
                    for (Py_ssize_t x = 0; x < x0; x++) {
                        for (Py_ssize_t k = 0; k < c; k++) {
                            cell[x * row_len + k] = 0;
                        }
                    }
                    if (g->wrap) {
                        for (Py_ssize_t x = x0; x < x1; x++) {
                            const T *from = line + wrap_index(x + shift, w) * c;
                            for (Py_ssize_t k = 0; k < c; k++) {
                                cell[x * row_len + k] = from[k];
                            }
                        }
                    }
                    else if (c == 1) {
                        for (Py_ssize_t x = x0; x < x1; x++) {
                            cell[x * row_len] = line[x + shift];
                        }
                    }
                    else {
                        for (Py_ssize_t x = x0; x < x1; x++) {
                            const T *from = line + (x + shift) * c;
                            for (Py_ssize_t k = 0; k < c; k++) {
                                cell[x * row_len + k] = from[k];
                            }
                        }
                    }
                    for (Py_ssize_t x = x1; x < out_w; x++) {
                        for (Py_ssize_t k = 0; k < c; k++) {
                            cell[x * row_len + k] = 0;
                        }
                    }
                }
            }
        }
    }
}

/* The adjoint of im2col for the output window of g (out of the padded
 * frame: rows top .. top + h - 1, columns left .. left + w - 1):
 * out[img, y, x, ch] = 0 + the taps (i, j) covering the pixel, added in the
 * order of i, then j, as col2im_matmul adds them; tap by tap along each
 * row of the window. */
static void
FN(col2im)(const T *restrict dcols, T *restrict out, const conv_geometry *g)
{
    const Py_ssize_t w = g->w, c = g->c, d = g->dilation, kw = g->kw;
    const Py_ssize_t out_w = g->out_w, row_len = g->kh * kw * c;
    for (Py_ssize_t img = 0; img < g->n; img++) {
        const T *grads = dcols + img * g->out_h * out_w * row_len;
        for (Py_ssize_t y = 0; y < g->h; y++, out += w * c) {
            for (Py_ssize_t e = 0; e < w * c; e++) {
                out[e] = 0;
            }
            for (Py_ssize_t i = 0; i < g->kh; i++) {
                const Py_ssize_t sy = y + g->top - i * d;
                if (sy < 0 || sy >= g->out_h) {
                    continue;
                }
                for (Py_ssize_t j = 0; j < kw; j++) {
                    const Py_ssize_t shift = g->left - j * d; /* sx = x + shift */
                    const Py_ssize_t x0 = shift < 0 ? -shift : 0;
                    const Py_ssize_t x1 = out_w - shift < w ? out_w - shift : w;
                    const T *tap = grads + sy * out_w * row_len + (i * kw + j) * c;
                    for (Py_ssize_t x = x0; x < x1; x++) {
                        const T *from = tap + (x + shift) * row_len;
                        for (Py_ssize_t k = 0; k < c; k++) {
                            out[x * c + k] = out[x * c + k] + from[k];
                        }
                    }
                }
            }
        }
    }
}

/* In place on z (rows, c): with negative, negative <- z < 0 and z <- |z|;
 * then z <- z + bias (if any); then relu (numpy's maximum(z, 0)) if relu. */
static void
FN(activate)(T *restrict z, const T *restrict bias, uint8_t *restrict negative,
             Py_ssize_t rows, Py_ssize_t c, int relu)
{
    const Py_ssize_t size = rows * c;
    if (negative != NULL) {
        for (Py_ssize_t e = 0; e < size; e++) {
            negative[e] = z[e] < 0;
            z[e] = ABS(z[e]);
        }
    }
    for (Py_ssize_t r = 0; r < rows && bias != NULL; r++) {
        for (Py_ssize_t k = 0; k < c; k++) {
            z[r * c + k] = z[r * c + k] + bias[k];
        }
    }
    for (Py_ssize_t e = 0; e < size && relu; e++) {
        z[e] = FN(np_maximum)(z[e], 0);
    }
}

/* out[img, y, x, ch]: the max (kind MAX) or mean of a's ph x pw window at
 * (y, x), taken in the window's row-major order, as _pool_forward does. */
static void
FN(pool)(const T *restrict a, T *restrict out, const pool_geometry *p)
{
    const Py_ssize_t h = p->h, w = p->w, c = p->c, ph = p->ph, pw = p->pw;
    const Py_ssize_t oh = h / ph, ow = w / pw;
    const int mean = p->kind == MEAN;
    const T scale = (T)(1.0 / (double)(ph * pw));
    for (Py_ssize_t img = 0; img < p->n; img++) {
        for (Py_ssize_t y = 0; y < oh; y++, out += ow * c) {
            const T *line = a + (img * h + y * ph) * w * c;
            for (Py_ssize_t x = 0; x < ow; x++) {
                for (Py_ssize_t k = 0; k < c; k++) {
                    out[x * c + k] = line[x * pw * c + k];
                }
            }
            for (Py_ssize_t i = 0; i < ph; i++) {
                for (Py_ssize_t j = i == 0; j < pw; j++) {
                    const T *part = line + (i * w + j) * c;
                    for (Py_ssize_t x = 0; x < ow; x++) {
                        for (Py_ssize_t k = 0; k < c; k++) {
                            const T v = part[x * pw * c + k];
                            out[x * c + k] = mean ? out[x * c + k] + v
                                                  : FN(np_maximum)(out[x * c + k], v);
                        }
                    }
                }
            }
            for (Py_ssize_t e = 0; e < ow * c && mean; e++) {
                out[e] = out[e] * scale;
            }
        }
    }
}

/* One row of conv_backward's dz (before the activation's derivative), from
 * grad's row for the pooling's output row (or for a itself): what
 * _pool_backward gives. */
static void
FN(pool_backward_row)(const T *restrict grad, const T *restrict a,
                      const T *restrict pooled, T *restrict dz, Py_ssize_t w,
                      Py_ssize_t c, const pool_geometry *p)
{
    const Py_ssize_t pw = p->pw, ow = w / pw;
    if (p->kind == NONE) {
        for (Py_ssize_t e = 0; e < w * c; e++) {
            dz[e] = grad[e];
        }
        return;
    }
    const T share = (T)(1.0 / (double)(p->ph * pw));
    for (Py_ssize_t j = 0; j < pw; j++) {
        const T *aj = a + j * c;
        T *dj = dz + j * c;
        if (p->kind == MAX) {
            for (Py_ssize_t x = 0; x < ow; x++) {
                for (Py_ssize_t k = 0; k < c; k++) {
                    const T top = pooled[x * c + k];
                    dj[x * pw * c + k] = grad[x * c + k] * (T)(aj[x * pw * c + k] == top);
                }
            }
        }
        else {
            for (Py_ssize_t x = 0; x < ow; x++) {
                for (Py_ssize_t k = 0; k < c; k++) {
                    dj[x * pw * c + k] = grad[x * c + k] * share;
                }
            }
        }
    }
    for (Py_ssize_t e = ow * pw * c; e < w * c; e++) {
        dz[e] = 0; /* the dropped odd column */
    }
}

/* The gradient with respect to a convolution's output z, given that with
 * respect to its activation a = g(z + bias) (kind NONE: grad has a's
 * shape) or to the pooling `pooled` of a (grad has pooled's shape). The
 * pooling passes the gradient of a window to every input equal to its max,
 * or a share of it to every input for the mean; the odd last row or column
 * that the pooling drops gets none. act: IDENTITY, RELU or TANH. Then, with
 * bias_grad, bias_grad <- bias_grad + the column sums of dz (summed in row
 * order from 0 into sums, as numpy sums a C-ordered array over axis 0), and
 * last dz <- -dz where negative. Row by row of the images, in cache. */
static void
FN(conv_backward)(const T *restrict grad, const T *restrict a,
                  const T *restrict pooled, const uint8_t *restrict negative,
                  T *restrict dz, T *restrict bias_grad, T *restrict sums,
                  const pool_geometry *p)
{
    const Py_ssize_t h = p->h, w = p->w, c = p->c, line = w * c;
    const int pooling = p->kind != NONE;
    const Py_ssize_t oh = pooling ? h / p->ph : h, ow = pooling ? w / p->pw : w;
    for (Py_ssize_t k = 0; k < c && bias_grad != NULL; k++) {
        sums[k] = 0;
    }
    for (Py_ssize_t img = 0; img < p->n; img++) {
        for (Py_ssize_t y = 0; y < h; y++, a += line, dz += line) {
            const Py_ssize_t py = pooling ? y / p->ph : y;
            if (py < oh) {
                const Py_ssize_t at = (img * oh + py) * ow * c;
                FN(pool_backward_row)(grad + at, a, pooled == NULL ? NULL : pooled + at,
                                      dz, w, c, p);
            }
            else {
                for (Py_ssize_t e = 0; e < line; e++) {
                    dz[e] = 0; /* the dropped odd row */
                }
            }
            if (p->act == RELU) {
                for (Py_ssize_t e = 0; e < line; e++) {
                    dz[e] = dz[e] * (T)(a[e] > 0);
                }
            }
            else if (p->act == TANH) {
                for (Py_ssize_t e = 0; e < line; e++) {
                    dz[e] = dz[e] * (1 - a[e] * a[e]);
                }
            }
            for (Py_ssize_t x = 0; x < w && bias_grad != NULL; x++) {
                for (Py_ssize_t k = 0; k < c; k++) {
                    sums[k] = sums[k] + dz[x * c + k];
                }
            }
            if (negative != NULL) {
                for (Py_ssize_t e = 0; e < line; e++) {
                    dz[e] = negative[e] ? -dz[e] : dz[e];
                }
                negative += line;
            }
        }
    }
    for (Py_ssize_t k = 0; k < c && bias_grad != NULL; k++) {
        bias_grad[k] = bias_grad[k] + sums[k];
    }
}
