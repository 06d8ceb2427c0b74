/* SPDX-License-Identifier: MIT */
/* Event channels for test kernels: see pvguest/events.h. */
#include <pvguest/events.h>

#define NR_PORTS	EVTCHN_2L_NR_CHANNELS

struct vcpu_info *pvguest_vcpu_info[PVGUEST_MAX_CPUS];
volatile unsigned long pvguest_upcalls[PVGUEST_MAX_CPUS];

static struct {
	evtchn_handler_t fn;
	void *arg;
	uint8_t cpu;
} port_handler[NR_PORTS];
static volatile unsigned long port_count[NR_PORTS];

__attribute__((weak)) unsigned int pvguest_cpu_id(void)
{
	return 0;
}

/* ---- hypercalls ----------------------------------------------------- */

long evtchn_alloc_unbound(domid_t remote_dom, evtchn_port_t *port)
{
	struct evtchn_alloc_unbound op = {
		.dom = DOMID_SELF, .remote_dom = remote_dom,
	};
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);

	if (!rc)
		*port = op.port;
	return rc;
}

long evtchn_bind_interdomain(domid_t remote_dom, evtchn_port_t remote_port,
			     evtchn_port_t *port)
{
	struct evtchn_bind_interdomain op = {
		.remote_dom = remote_dom, .remote_port = remote_port,
	};
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);

	if (!rc)
		*port = op.local_port;
	return rc;
}

long evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);

	if (!rc)
		*port = op.port;
	return rc;
}

long evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_ipi op = { .vcpu = vcpu };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);

	if (!rc)
		*port = op.port;
	return rc;
}

long evtchn_send(evtchn_port_t port)
{
	struct evtchn_send op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

long evtchn_close(evtchn_port_t port)
{
	struct evtchn_close op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

long evtchn_unmask_op(evtchn_port_t port)
{
	struct evtchn_unmask op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

long evtchn_bind_vcpu(evtchn_port_t port, uint32_t vcpu)
{
	struct evtchn_bind_vcpu op = { .port = port, .vcpu = vcpu };

	return HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &op);
}

long evtchn_status(evtchn_port_t port, struct evtchn_status *st)
{
	memset(st, 0, sizeof(*st));
	st->dom = DOMID_SELF;
	st->port = port;
	return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

/* ---- bitmaps -------------------------------------------------------- */

static inline uint64_t bit(evtchn_port_t port)
{
	return 1UL << (port % 64);
}

void evtchn_mask(evtchn_port_t port)
{
	__atomic_fetch_or(&shared_info->evtchn_mask[port / 64], bit(port),
			  __ATOMIC_SEQ_CST);
}

void evtchn_unmask(evtchn_port_t port)
{
	struct vcpu_info *vi = this_vcpu_info();

	__atomic_fetch_and(&shared_info->evtchn_mask[port / 64], ~bit(port),
			   __ATOMIC_SEQ_CST);
	/* What Linux's evtchn_2l_unmask does for a port of its own CPU. */
	if (evtchn_is_pending(port) &&
	    !(__atomic_fetch_or(&vi->evtchn_pending_sel, 1UL << (port / 64),
				__ATOMIC_SEQ_CST) & (1UL << (port / 64))))
		vi->evtchn_upcall_pending = 1;
}

bool evtchn_is_pending(evtchn_port_t port)
{
	return __atomic_load_n(&shared_info->evtchn_pending[port / 64],
			       __ATOMIC_SEQ_CST) & bit(port);
}

bool evtchn_is_masked(evtchn_port_t port)
{
	return __atomic_load_n(&shared_info->evtchn_mask[port / 64],
			       __ATOMIC_SEQ_CST) & bit(port);
}

void evtchn_clear_pending(evtchn_port_t port)
{
	__atomic_fetch_and(&shared_info->evtchn_pending[port / 64],
			   ~bit(port), __ATOMIC_SEQ_CST);
}

/* ---- upcall --------------------------------------------------------- */

void evtchn_set_handler(evtchn_port_t port, unsigned int cpu,
			evtchn_handler_t fn, void *arg)
{
	if (port >= NR_PORTS)
		return;
	port_handler[port].cpu = (uint8_t)cpu;
	port_handler[port].arg = arg;
	__atomic_store_n(&port_handler[port].fn, fn, __ATOMIC_RELEASE);
}

unsigned long evtchn_count(evtchn_port_t port)
{
	return port < NR_PORTS ? port_count[port] : 0;
}

/* The 2-level scan (Linux's evtchn_2l_handle_events, simplified). */
static bool event_upcall(struct guest_regs *regs)
{
	unsigned int cpu = pvguest_cpu_id();
	struct vcpu_info *vi = pvguest_vcpu_info[cpu];
	uint64_t sel;

	(void)regs;
	pvguest_upcalls[cpu]++;
	vi->evtchn_upcall_pending = 0;
	sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		unsigned int w = (unsigned int)__builtin_ctzl(sel);
		uint64_t pend;

		sel &= sel - 1;
		pend = __atomic_load_n(&shared_info->evtchn_pending[w],
				       __ATOMIC_SEQ_CST) &
		       ~__atomic_load_n(&shared_info->evtchn_mask[w],
					__ATOMIC_SEQ_CST);
		while (pend) {
			evtchn_port_t port = w * 64 +
				(evtchn_port_t)__builtin_ctzl(pend);
			evtchn_handler_t fn;

			pend &= pend - 1;
			/* Ports of other vCPUs stay pending for them. */
			if (port_handler[port].cpu != cpu)
				continue;
			evtchn_clear_pending(port);
			port_count[port]++;
			fn = __atomic_load_n(&port_handler[port].fn,
					     __ATOMIC_ACQUIRE);
			if (fn)
				fn(port, port_handler[port].arg);
		}
	}
	return true;
}

long events_init(void)
{
	long rc = map_shared_info();

	if (rc)
		return rc;
	if (!pvguest_vcpu_info[0])
		pvguest_vcpu_info[0] = &shared_info->vcpu_info[0];
	trap_set_handler(PVGUEST_VEC_EVENT, event_upcall);
	return 0;
}

void local_irq_enable(void)
{
	struct vcpu_info *vi = this_vcpu_info();

	barrier();
	vi->evtchn_upcall_mask = 0;
	barrier();
	/* Unmasking is a plain store: ask for anything already pending. */
	if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
		HYPERVISOR_xen_version(0, NULL);
}

long sched_block(void)
{
	return HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}

long sched_poll(evtchn_port_t *ports, unsigned int n, uint64_t timeout)
{
	struct sched_poll p = {
		.ports = (uint64_t)(uintptr_t)ports,
		.nr_ports = n,
		.timeout = timeout,
	};

	return HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}
