# What the start-up probe says about this host's KVM, checked for sense.
CHECK_TARGETS += check-platform
check-platform: $(BUILD)/pvctl
	$(Q)$(WITH_KVM) platform 'BUILD=$(BUILD) sh tests/e2e/platform.sh'
.PHONY: check-platform

# End-to-end: pvisord + pvctl driving real PV guests.
E2E_IDLE := $(BUILD)/guests/e2e-idle.elf
$(eval $(call pvguest_kernel,$(E2E_IDLE),tests/e2e/guests/idle/main.c))

CHECK_TARGETS += check-lifecycle
check-lifecycle: $(BUILD)/pvctl $(BUILD)/pvisord $(E2E_IDLE) guests
	$(Q)$(WITH_KVM) lifecycle 'BUILD=$(BUILD) sh tests/e2e/lifecycle.sh'
.PHONY: check-lifecycle

E2E_XSRING := $(BUILD)/guests/e2e-xsring.elf
$(eval $(call pvguest_kernel,$(E2E_XSRING),tests/e2e/guests/xsring/main.c))
check-lifecycle: $(E2E_XSRING)

# The stock Debian kernel (downloaded by `make linux-guest`).
CHECK_TARGETS += check-linux
check-linux: $(BUILD)/pvctl $(BUILD)/pvisord linux-guest
	$(Q)$(WITH_KVM) linux 'BUILD=$(BUILD) sh tests/e2e/linux.sh'
.PHONY: check-linux

# The same kernel as an HVM guest on the emulated PC (docs/pvh.md), in
# the nested VM on $(KVM_XEN_VM): there HVM guests see Xen (PVHVM) and
# reach disks and vifs through the PV drivers. Two VM jobs: the guest
# itself, then its split drivers.
CHECK_TARGETS += check-linux-hvm
check-linux-hvm: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/pvblkback $(BUILD)/pvnetback linux-guest
	$(Q)VM_KERNEL=$(KVM_XEN_VM) $(WITH_KVM) linux-hvm 'BUILD=$(BUILD) sh tests/e2e/linux-hvm.sh base'; r=$$?; \
	VM_KERNEL=$(KVM_XEN_VM) $(WITH_KVM) linux-hvm-drivers 'BUILD=$(BUILD) sh tests/e2e/linux-hvm.sh drivers' && exit $$r
.PHONY: check-linux-hvm

# The same kernel as a PVH guest (docs/pvh.md), in the nested VM on
# $(KVM_XEN_VM) (see the Makefile).
CHECK_TARGETS += check-linux-pvh
check-linux-pvh: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/pvblkback $(BUILD)/pvnetback linux-guest
	$(Q)VM_KERNEL=$(KVM_XEN_VM) $(WITH_KVM) linux-pvh 'BUILD=$(BUILD) sh tests/e2e/linux-pvh.sh'
.PHONY: check-linux-pvh

# Another stock kernel (make linux-guest-6.12) as PV, PVH and HVM, with
# 2 vCPUs, a disk and a vif each, in the nested VM on $(KVM_XEN_VM).
CHECK_TARGETS += check-linux-kernels
check-linux-kernels: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/pvblkback $(BUILD)/pvnetback linux-guest-6.12
	$(Q)VM_KERNEL=$(KVM_XEN_VM) $(WITH_KVM) linux-kernels 'BUILD=$(BUILD) sh tests/e2e/linux-kernels.sh'
.PHONY: check-linux-kernels

# PVH and HVM self-test kernels through pvisord, and the refusals.
CHECK_TARGETS += check-guest-types
check-guest-types: $(BUILD)/pvctl $(BUILD)/pvisord $(PVH_GUEST_ELFS) $(HVM_GUEST_IMAGES)
	$(Q)$(WITH_KVM) guest-types 'BUILD=$(BUILD) sh tests/e2e/guest-types.sh'
.PHONY: check-guest-types

# Hostile guests (tests/guests/fuzz) beside victims; pvctl-san runs the
# fuzz kernel once more under ASan/UBSan.
PVCTL_SAN := $(BUILD)/pvctl-san
$(BUILD)/san/toolstack/pvctl/%.o: CFLAGS += -Itoolstack/config
$(PVCTL_SAN): $(TOOL_SRCS:%.c=$(BUILD)/san/%.o) $(LIBPVISOR_SAN) $(LIBPVCFG_SAN)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS) $(CFG_LDLIBS)

check-hvm: $(PVCTL_SAN)

CHECK_TARGETS += check-hostile
check-hostile: $(BUILD)/pvctl $(BUILD)/pvisord $(PVCTL_SAN) $(E2E_IDLE) $(E2E_XSRING) $(BUILD)/guests/fuzz.elf
	$(Q)$(WITH_KVM) hostile 'BUILD=$(BUILD) sh tests/e2e/hostile.sh'
.PHONY: check-hostile

# Guest-imposed bounds (console_io size, console log size) under pvisord.
CHECK_TARGETS += check-limits
check-limits: $(BUILD)/pvctl $(BUILD)/pvisord guests
	$(Q)$(WITH_KVM) limits 'BUILD=$(BUILD) sh tests/e2e/guest-limits.sh'
.PHONY: check-limits

# Disks: xen-blkfront of the Debian kernel against pvblkback.
CHECK_TARGETS += check-block
check-block: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/pvblkback linux-guest linux-rootfs
	$(Q)$(WITH_KVM) block 'BUILD=$(BUILD) sh tests/e2e/block.sh'
.PHONY: check-block

# Grant maps between domUs (tests/guests/gntmap as granter and mapper),
# and a granter destroyed while its page is mapped.
CHECK_TARGETS += check-gntmap-peers
check-gntmap-peers: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/guests/gntmap.elf
	$(Q)$(WITH_KVM) gntmap-peers 'BUILD=$(BUILD) sh tests/e2e/gntmap-peers.sh'
.PHONY: check-gntmap-peers
