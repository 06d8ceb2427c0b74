# SPDX-License-Identifier: MIT
# A hostile netfront (tests/e2e/guests/nethostile) against pvnetback, in
# a network namespace of the test's own (tests/e2e/net_lib.sh), beside a
# well-behaved one whose vif must keep working.
E2E_NETHOSTILE := $(BUILD)/guests/e2e-nethostile.elf
$(eval $(call pvguest_kernel,$(E2E_NETHOSTILE),tests/e2e/guests/nethostile/main.c))

nethostile-guest: $(E2E_NETHOSTILE)
.PHONY: nethostile-guest

CHECK_TARGETS += check-net-hostile
check-net-hostile: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/pvnetback $(E2E_NETHOSTILE)
	$(Q)$(WITH_KVM) net-hostile 'BUILD=$(BUILD) sh tests/e2e/net-hostile.sh'
.PHONY: check-net-hostile

# The stock Debian kernel's xen-netfront against pvnetback (tests/e2e/net.sh).
CHECK_TARGETS += check-net
check-net: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/pvnetback $(BUILD)/bench/netbench linux-guest
	$(Q)$(WITH_KVM) net 'BUILD=$(BUILD) sh tests/e2e/net.sh'
.PHONY: check-net
