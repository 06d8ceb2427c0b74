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

guests: $(GUEST_ELFS)

check-guests: guests
	$(Q)$(WITH_KVM) guests 'BUILD=$(BUILD) sh tests/guests/run.sh $(GUEST_TESTS)'

CHECK_TARGETS += check-guests
.PHONY: guests check-guests
