# End-to-end tests of dom0 components that need no /dev/kvm.
CHECK_TARGETS += check-xenstore

check-xenstore: $(BUILD)/pvxenstored
	$(Q)sh tests/e2e/xenstore-interop.sh $(BUILD)/pvxenstored
