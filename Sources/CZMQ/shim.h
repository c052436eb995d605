#ifndef TRAINYARD_CZMQ_SHIM_H
#define TRAINYARD_CZMQ_SHIM_H
#include <zmq.h>
#include <errno.h>
#include <sys/eventfd.h>

/* libzmq's own errno values are macros built from ZMQ_HAUSNUMERO; give Swift plain constants. */
static const int TY_ETERM = ETERM;
static const int TY_EFSM = EFSM;
static const int TY_ENOCOMPATPROTO = ENOCOMPATPROTO;
static const int TY_EMTHREAD = EMTHREAD;
static const short TY_POLLIN = ZMQ_POLLIN;
static const short TY_POLLOUT = ZMQ_POLLOUT;
static const short TY_POLLERR = ZMQ_POLLERR;

/* The socket loop's wake-up descriptor: non-blocking, closed on exec. */
static inline int ty_wake_fd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

#endif
