/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the programs that test /dev/goslab's commands group by
 * group (goslab_obj_test, goslab_cache_test, goslab_stats_test,
 * goslab_abi_test, goslab_session_test): each test gets a session of its
 * own, the interface's version and a snapshot of goslab's counters, which
 * teardown, once the session is closed, must find again.  Not in
 * goslab_util.h: a fixture is registered with the harness in every
 * program that includes it.  Include after goslab_util.h.
 */
#ifndef GOSLAB_DEV_FIXTURE_H
#define GOSLAB_DEV_FIXTURE_H

FIXTURE(dev) {
	int fd;
	bool debug;
	struct goslab_ioc_version v;
	struct goslab_ioc_stats base;
	unsigned long taint;
};

FIXTURE_SETUP(dev)
{
	self->fd = gs_open();
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, GS_DEV " missing: is goslab.ko loaded?");
	ASSERT_LE(0, self->fd) {
		TH_LOG("open %s: %s", GS_DEV, strerror(errno));
	}
	ASSERT_EQ(0, gs_version(self->fd, &self->v));
	self->debug = self->v.features & GOSLAB_FEATURE_DEBUG;
	ASSERT_EQ(0, gs_snap(self->fd, &self->base));
	self->taint = gs_taint();
}

FIXTURE_TEARDOWN(dev)
{
	/* Whatever the test left in its session goes with the file. */
	gs_check_closed(_metadata, self->fd, &self->base, self->taint,
			"after close");
}

#endif /* GOSLAB_DEV_FIXTURE_H */
