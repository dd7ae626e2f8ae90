/* placeholder replaced by the kernels work */
#include "kiln_kernels.h"
