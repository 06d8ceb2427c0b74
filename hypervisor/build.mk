# The hypervisor library: core, x86 PV CPU model, KVM platform, loader.
HV_SRCS += \
	hypervisor/core/console_io.c \
	hypervisor/core/domain.c \
	hypervisor/core/guest_mem.c \
	hypervisor/core/hv_region.c \
	hypervisor/core/hypercall.c \
	hypervisor/core/log.c \
	hypervisor/core/pt_write.c \
	hypervisor/core/sched.c \
	hypervisor/core/vcpu.c \
	hypervisor/core/version.c \
	hypervisor/core/vm_assist.c \
	hypervisor/arch/x86/pv/callbacks.c \
	hypervisor/arch/x86/pv/cpuid.c \
	hypervisor/arch/x86/pv/emul_priv.c \
	hypervisor/arch/x86/pv/entry_area.c \
	hypervisor/arch/x86/pv/iret.c \
	hypervisor/arch/x86/pv/mm.c \
	hypervisor/arch/x86/pv/mode.c \
	hypervisor/arch/x86/pv/traps.c \
	hypervisor/loader/elf.c \
	hypervisor/loader/pv_build.c \
	hypervisor/platform/kvm/kvm.c \
	hypervisor/platform/kvm/probe.c
