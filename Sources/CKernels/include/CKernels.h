#ifndef TRAINYARD_CKERNELS_H
#define TRAINYARD_CKERNELS_H

/* Swift has no prefetch intrinsic. The histogram and partition loops visit rows of a node
   scattered over the whole bin matrix; prefetching a few rows ahead hides the cache misses
   (XGBoost's hist kernel does the same). */
static inline void ty_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
