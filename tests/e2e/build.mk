# End-to-end tests of dom0 components that need no /dev/kvm.
CHECK_TARGETS += check-xenstore

check-xenstore: $(BUILD)/pvxenstored
	$(Q)sh tests/e2e/xenstore-interop.sh $(BUILD)/pvxenstored

# The control socket against local users (security issue, item 5):
# pvisord --no-kvm, users made up with setpriv. Needs root.
CHECK_TARGETS += check-ctl-security
check-ctl-security: $(BUILD)/pvctl $(BUILD)/pvisord
	$(Q)BUILD=$(BUILD) sh tests/e2e/ctl-security.sh
.PHONY: check-ctl-security

# vif specs through pvctl and the control socket: pvisord --no-kvm.
CHECK_TARGETS += check-network-cli
check-network-cli: $(BUILD)/pvctl $(BUILD)/pvisord
	$(Q)BUILD=$(BUILD) sh tests/e2e/network-cli.sh
.PHONY: check-network-cli
