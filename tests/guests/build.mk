# SPDX-License-Identifier: MIT
# PV self-test kernels: tests/guests/<name>/main.c -> $(BUILD)/guests/<name>.elf
# Each checks one behaviour and reports PASS/FAIL on the guest console;
# `make check-guests` boots every one under pvctl (tests/guests/run.sh).

GUEST_TESTS := hello traps usermode multicall cpuid hostile bench grants
GUEST_TESTS += events evtfifo timers smp dom0events
GUEST_TESTS += mmu balloon m2pcompat
GUEST_TESTS += fuzz
GUEST_TESTS += exit-page-user-write console-io-huge
GUEST_TESTS += gnttab-copy-to-l1 gnttab-copy-ballooned stubkick
GUEST_TESTS += iopl
GUEST_TESTS += grantv2
GUEST_TESTS += dbreg
GUEST_TESTS += gntmap

$(foreach t,$(GUEST_TESTS),$(eval $(call pvguest_kernel,$(BUILD)/guests/$(t).elf,tests/guests/$(t)/main.c)))

GUEST_ELFS += $(GUEST_TESTS:%=$(BUILD)/guests/%.elf)

# PVH self-test kernels: tests/guests/<name>/{head.S,main.c} linked at
# 1 MiB with pvh.ld, entered at XEN_ELFNOTE_PHYS32_ENTRY. They need a
# hardware-assisted host (AMD-V/VT-x, or the nested VM), so `make
# check-pvh` runs them apart from the PV kernels. Each has a pvctl-args
# file with --type pvh.
PVH_GUEST_TESTS := pvh-hello
PVH_OBJDIR      := $(GUEST_DIR)/pvh-obj
PVH_CFLAGS      := $(filter-out -mcmodel=kernel,$(GUEST_CFLAGS)) -mcmodel=small
PVH_ASFLAGS     := $(filter-out -mcmodel=kernel,$(GUEST_ASFLAGS))
PVH_LDSCRIPT    := tests/guests/pvh-hello/pvh.ld
PVH_LDFLAGS     := -nostdlib -static -no-pie -Wl,-T,$(PVH_LDSCRIPT) \
                   -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
                   -Wl,--build-id=none -Wl,--fatal-warnings

$(PVH_OBJDIR)/%.o: %.c
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  GUESTCC $<"
	$(Q)$(GUEST_CC) $(PVH_CFLAGS) -MMD -MP -c $< -o $@

$(PVH_OBJDIR)/%.o: %.S
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  GUESTAS $<"
	$(Q)$(GUEST_CC) $(PVH_ASFLAGS) -MMD -MP -c $< -o $@

define pvh_kernel
$(BUILD)/guests/$(1).elf: $(PVH_OBJDIR)/tests/guests/$(1)/head.o $(PVH_OBJDIR)/tests/guests/$(1)/main.o $(PVH_LDSCRIPT)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)echo "  GUESTLD $$@"
	$(Q)$(GUEST_CC) $(PVH_LDFLAGS) -o $$@ $(PVH_OBJDIR)/tests/guests/$(1)/head.o $(PVH_OBJDIR)/tests/guests/$(1)/main.o
endef
$(foreach t,$(PVH_GUEST_TESTS),$(eval $(call pvh_kernel,$(t))))

PVH_GUEST_ELFS := $(PVH_GUEST_TESTS:%=$(BUILD)/guests/%.elf)
GUEST_ELFS += $(PVH_GUEST_ELFS)

# HVM self-test kernels: tests/guests/<name>/{head.S,main.c} linked with
# hvm.ld and flattened into a bzImage (boot sector, setup header, then the
# 64-bit kernel at 1 MiB), which pvisor boots through Linux's 64-bit boot
# protocol on its emulated PC. check-bzimage.sh checks the header before
# the image counts as built. Each has a pvctl-args file with --type hvm.
HVM_GUEST_TESTS := hvm-selftest
HVM_LDSCRIPT    := tests/guests/hvm-selftest/hvm.ld
HVM_LDFLAGS     := $(subst $(PVH_LDSCRIPT),$(HVM_LDSCRIPT),$(PVH_LDFLAGS))
HVM_IMGCHECK    := tests/guests/hvm-selftest/check-bzimage.sh

define hvm_kernel
$(BUILD)/guests/$(1).elf: $(PVH_OBJDIR)/tests/guests/$(1)/head.o $(PVH_OBJDIR)/tests/guests/$(1)/main.o $(HVM_LDSCRIPT)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)echo "  GUESTLD $$@"
	$(Q)$(GUEST_CC) $(HVM_LDFLAGS) -o $$@ $(PVH_OBJDIR)/tests/guests/$(1)/head.o $(PVH_OBJDIR)/tests/guests/$(1)/main.o

$(BUILD)/guests/$(1).bzImage: $(BUILD)/guests/$(1).elf $(HVM_IMGCHECK)
	$(Q)echo "  BZIMAGE $$@"
	$(Q)objcopy -O binary $$< $$@.tmp
	$(Q)sh $(HVM_IMGCHECK) $$@.tmp $$< > $$@.check || { cat $$@.check; rm -f $$@.tmp; exit 1; }
	$(Q)echo "  IMGCHK  $$@: header well-formed (fields in $$@.check)"
	$(Q)mv $$@.tmp $$@
endef
$(foreach t,$(HVM_GUEST_TESTS),$(eval $(call hvm_kernel,$(t))))

HVM_GUEST_IMAGES := $(HVM_GUEST_TESTS:%=$(BUILD)/guests/%.bzImage)
GUEST_ELFS += $(HVM_GUEST_IMAGES)

guests: $(GUEST_ELFS)

# The PVH self-tests on both hypercall paths: pvisor's own (the default
# VM's 6.1 KVM has no Xen support), then KVM's Xen interception on
# $(KVM_XEN_VM), the path Linux as PVH needs.
check-pvh: $(BUILD)/pvctl $(PVH_GUEST_ELFS)
	$(Q)$(WITH_KVM) pvh 'BUILD=$(BUILD) sh tests/guests/run.sh $(PVH_GUEST_TESTS)'; r=$$?; \
	VM_KERNEL=$(KVM_XEN_VM) $(WITH_KVM) pvh-kvm-xen 'BUILD=$(BUILD) \
		GUEST_TAG=-kvm-xen sh tests/guests/run.sh $(PVH_GUEST_TESTS)' && exit $$r

# The HVM self-test probes every port, MSR and MMIO hole it may: once
# more under ASan/UBSan (pvctl-san, tests/e2e/lifecycle.mk), so a device
# model's memory error fails the test instead of passing unseen. Then
# once on $(KVM_XEN_VM), whose KVM carries its hypercalls itself and
# where it sees Xen (the leaves, the platform device on PCI bus 0).
check-hvm: $(BUILD)/pvctl $(HVM_GUEST_IMAGES)
	$(Q)$(WITH_KVM) hvm 'BUILD=$(BUILD) sh tests/guests/run.sh $(HVM_GUEST_TESTS) && \
		UBSAN_OPTIONS=halt_on_error=1 BUILD=$(BUILD) PVCTL=$(BUILD)/pvctl-san GUEST_TAG=-asan \
		GUEST_TIMEOUT=180 sh tests/guests/run.sh $(HVM_GUEST_TESTS)'; r=$$?; \
	VM_KERNEL=$(KVM_XEN_VM) $(WITH_KVM) hvm-kvm-xen 'BUILD=$(BUILD) \
		GUEST_TAG=-kvm-xen sh tests/guests/run.sh $(HVM_GUEST_TESTS)' && exit $$r

check-guests: guests
	$(Q)$(WITH_KVM) guests 'BUILD=$(BUILD) sh tests/guests/run.sh $(GUEST_TESTS)'

CHECK_TARGETS += check-guests check-pvh check-hvm
.PHONY: guests check-guests check-pvh check-hvm
