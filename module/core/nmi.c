// SPDX-License-Identifier: GPL-2.0
/*
 * goslab called from NMI context: allocations fail, frees are deferred to
 * an irq_work.  goslab_alloc() and goslab_free() test in_nmi() first and
 * come here.
 */

#include <linux/irq_work.h>
#include <linux/percpu.h>

#include "internal.h"

/*
 * NMI context.  An NMI may land between a read and a write of a CPU's list
 * head, which interrupts being off does not prevent: an allocation or a
 * free from the NMI handler would then hand an object out twice, or lose
 * one.  So in NMI context allocations fail, and frees wait in a few
 * per-CPU slots for an irq_work, which frees them once the NMI is over.
 * Slots are taken and emptied with atomic exchanges, since the NMI may
 * land while the irq_work empties them.
 */
#define GS_NMI_SLOTS	16

struct gs_nmi_frees {
	void *slot[GS_NMI_SLOTS];
	struct irq_work work;
};

static DEFINE_PER_CPU(struct gs_nmi_frees, gs_nmi_frees);

/**
 * gs_nmi_warn() - say once that goslab was called from NMI context
 */
void gs_nmi_warn(void)
{
	pr_warn_once("goslab: called from NMI context: allocations there fail, frees are deferred\n");
}

/**
 * gs_nmi_alloc() - an allocation in NMI context
 *
 * Return: NULL, always.
 */
void *gs_nmi_alloc(void)
{
	gs_nmi_warn();
	return NULL;
}

/**
 * gs_nmi_free() - a free in NMI context, deferred to an irq_work
 * @p: the object
 */
void gs_nmi_free(const void *p)
{
	struct gs_nmi_frees *nf = this_cpu_ptr(&gs_nmi_frees);
	unsigned int i;

	gs_nmi_warn();
	for (i = 0; i < GS_NMI_SLOTS; i++) {
		if (!cmpxchg(&nf->slot[i], NULL, (void *)p)) {
			irq_work_queue(&nf->work);
			return;
		}
	}
	pr_warn_ratelimited("goslab: %u frees pending from NMI context: %p leaked\n",
			    GS_NMI_SLOTS, p);
}

static void gs_nmi_frees_fn(struct irq_work *work)
{
	struct gs_nmi_frees *nf = container_of(work, struct gs_nmi_frees, work);
	unsigned int i;
	void *p;

	for (i = 0; i < GS_NMI_SLOTS; i++) {
		p = xchg(&nf->slot[i], NULL);
		if (p)
			goslab_free(p);
	}
}

/* gs_malloc_init(): each CPU's irq_work. */
void gs_nmi_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		init_irq_work(&per_cpu_ptr(&gs_nmi_frees, cpu)->work, gs_nmi_frees_fn);
}

/**
 * gs_nmi_flush() - do the frees NMIs deferred so far, on every CPU
 *
 * For goslab_trim(), a cache's destruction and unload, which must see
 * them done.
 *
 * Context: process context; may sleep.
 */
void gs_nmi_flush(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct gs_nmi_frees *nf = per_cpu_ptr(&gs_nmi_frees, cpu);

		irq_work_sync(&nf->work);
		gs_nmi_frees_fn(&nf->work);
	}
}
