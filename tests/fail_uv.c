/* fail_uv: an LD_PRELOAD shim for tests that makes one libuv call fail, so
 * that start-up paths which cannot otherwise be made to fail are tested.
 * HERALD_FAIL_SIGNAL_START=N: the Nth uv_signal_start() returns UV_EINVAL
 * (the others go to libuv). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <uv.h>

int
uv_signal_start(uv_signal_t *handle, uv_signal_cb cb, int signum)
{
	static int calls;
	int (*real)(uv_signal_t *, uv_signal_cb, int);
	const char *n = getenv("HERALD_FAIL_SIGNAL_START");

	if (n && ++calls == atoi(n))
		return UV_EINVAL;
	*(void **)&real = dlsym(RTLD_NEXT, "uv_signal_start");
	return real ? real(handle, cb, signum) : UV_ENOSYS;
}
