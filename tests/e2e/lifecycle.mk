# End-to-end: pvisord + pvctl driving real PV guests.
E2E_IDLE := $(BUILD)/guests/e2e-idle.elf
$(eval $(call pvguest_kernel,$(E2E_IDLE),tests/e2e/guests/idle/main.c))

CHECK_TARGETS += check-lifecycle
check-lifecycle: $(BUILD)/pvctl $(BUILD)/pvisord $(E2E_IDLE) guests
	$(Q)BUILD=$(BUILD) sh tests/e2e/lifecycle.sh
.PHONY: check-lifecycle

E2E_XSRING := $(BUILD)/guests/e2e-xsring.elf
$(eval $(call pvguest_kernel,$(E2E_XSRING),tests/e2e/guests/xsring/main.c))
check-lifecycle: $(E2E_XSRING)

# The stock Debian kernel (downloaded by `make linux-guest`).
CHECK_TARGETS += check-linux
check-linux: $(BUILD)/pvctl $(BUILD)/pvisord linux-guest
	$(Q)BUILD=$(BUILD) sh tests/e2e/linux.sh
.PHONY: check-linux
