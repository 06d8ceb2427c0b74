# SPDX-License-Identifier: MIT
# A hostile blkfront (tests/e2e/guests/blkhostile) against pvblkback,
# beside a Linux guest whose disk must keep working.
E2E_BLKHOSTILE := $(BUILD)/guests/e2e-blkhostile.elf
$(eval $(call pvguest_kernel,$(E2E_BLKHOSTILE),tests/e2e/guests/blkhostile/main.c))

CHECK_TARGETS += check-block-hostile
check-block-hostile: $(BUILD)/pvctl $(BUILD)/pvisord $(BUILD)/pvblkback $(E2E_BLKHOSTILE) linux-guest
	$(Q)$(WITH_KVM) block-hostile 'BUILD=$(BUILD) sh tests/e2e/block-hostile.sh'
.PHONY: check-block-hostile
