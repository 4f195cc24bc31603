/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels goslab builds for (6.1 and later):
 * every version test in goslab is here.
 */
#ifndef _GOSLAB_COMPAT_H
#define _GOSLAB_COMPAT_H

#include <linux/gfp.h>

/*
 * Until 6.3, GFP_ATOMIC carried __GFP_ATOMIC, which opens the page
 * allocator's reserves for atomic callers; goslab passes it on too.
 */
#ifdef __GFP_ATOMIC
#define GS_GFP_ATOMIC	__GFP_ATOMIC
#else
#define GS_GFP_ATOMIC	((__force gfp_t)0)
#endif

#endif /* _GOSLAB_COMPAT_H */
