# The network backend process, driven as pvisord drives it
# (tests/unit/test_netback.c): it runs the real $(BUILD)/pvnetback, a
# socketpair standing in for its tap queue.
#
# Included from tests/build.mk, beside blkback.mk.
UNIT_TESTS += test_netback
UNIT_BINS  += $(BUILD)/tests/unit/test_netback

PVNETBACK_BIN := $(abspath $(BUILD)/pvnetback)

$(BUILD)/tests/unit/test_netback: tests/unit/test_netback.c \
		tests/unit/gnt_fixture.h tests/unit/fake_mem.h \
		toolstack/include/pvisor/netback_ctl.h \
		toolstack/include/pvisor/gnt_broker.h \
		toolstack/pvisord/gnt_broker.c \
		$(BUILD)/pvnetback $(LIBPVISOR_SAN) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit \
		-DPVNETBACK_DEFAULT='"$(PVNETBACK_BIN)"' \
		-o $@ $< toolstack/pvisord/gnt_broker.c $(LIBPVISOR_SAN) $(LDLIBS) -lcmocka

# run.sh passes the environment on: the backend under test, by name.
check-unit: $(BUILD)/tests/unit/test_netback
check-unit: export PVNETBACK := $(PVNETBACK_BIN)
