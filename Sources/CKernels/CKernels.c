/* The kernels are static inline functions in include/CKernels.h; SwiftPM needs one C file. */
#include "CKernels.h"
