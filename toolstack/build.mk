# dom0 toolstack: the pvctl CLI and the pvisord daemon.
include toolstack/xenstored/build.mk
include toolstack/config/build.mk

CTL_SRCS := toolstack/ctl/ctl_proto.c toolstack/console/console_ring.c

TOOL_SRCS += \
	toolstack/pvctl/main.c \
	toolstack/pvctl/client.c \
	toolstack/pvctl/cmd_create.c \
	toolstack/pvctl/cmd_domain.c \
	toolstack/pvctl/cmd_info.c \
	toolstack/pvctl/cmd_xenstore.c \
	toolstack/pvctl/cmd_block.c \
	toolstack/pvctl/cmd_network.c \
	toolstack/xsclient/xs_client.c \
	toolstack/pvctl/cmd_run.c \
	toolstack/pvctl/run_console.c \
	toolstack/pvctl/evtchn_echo.c \
	toolstack/pvctl/test_service.c \
	$(CTL_SRCS)

PVISORD_SRCS := \
	toolstack/pvisord/main.c \
	toolstack/pvisord/clients.c \
	toolstack/pvisord/commands.c \
	toolstack/pvisord/console.c \
	toolstack/pvisord/domains.c \
	toolstack/pvisord/msg_ring.c \
	toolstack/pvisord/backend.c \
	toolstack/pvisord/xenstore.c \
	toolstack/pvisord/vbd.c \
	toolstack/pvisord/svc_proc.c \
	toolstack/pvisord/vif.c \
	toolstack/pvisord/gnt_broker.c \
	toolstack/xsclient/xs_client.c \
	$(CTL_SRCS)
PVISORD_OBJS := $(PVISORD_SRCS:%.c=$(BUILD)/obj/%.o)

# pvisord starts pvblkback and pvnetback from its own directory.
$(BUILD)/pvisord: $(PVISORD_OBJS) $(LIBXENSTORED) $(LIBPVCFG) $(LIBPVISOR) | $(BUILD)/pvblkback $(BUILD)/pvnetback
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(XS_LDLIBS) $(CFG_LDLIBS)

pvisor: $(BUILD)/pvisord

# Hotplug scripts: pvisord runs a vif's from its own scripts/ directory.
HOTPLUG_SCRIPTS := $(BUILD)/scripts/vif-bridge
$(BUILD)/scripts/%: toolstack/hotplug/%
	$(Q)mkdir -p $(dir $@)
	$(Q)install -m 0755 $< $@

pvisor: $(HOTPLUG_SCRIPTS)

# What the sandboxed backends share: the grant broker's client side,
# the sandbox.
SVC_SRCS := \
	toolstack/svc/svc_broker.c \
	toolstack/svc/svc_sandbox.c \
	toolstack/svc/svc_ctl.c
SVC_OBJS := $(SVC_SRCS:%.c=$(BUILD)/obj/%.o)

# The block backend: one process per virtual disk, started by pvisord.
PVBLKBACK_SRCS := \
	toolstack/blkback/main.c \
	toolstack/blkback/blk_ring.c \
	toolstack/blkback/blk_io.c \
	toolstack/blkback/blk_nbd.c
PVBLKBACK_OBJS := $(PVBLKBACK_SRCS:%.c=$(BUILD)/obj/%.o) $(SVC_OBJS)
$(BUILD)/obj/toolstack/blkback/%.o: CFLAGS += -Itoolstack/svc

# liburing statically: Debian 2.3's .so does not export the ring
# restriction calls its header declares.
$(BUILD)/pvblkback: $(PVBLKBACK_OBJS) $(LIBPVISOR)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -l:liburing.a -lseccomp -lnbd $(LDLIBS)

pvisor: $(BUILD)/pvblkback

# The network backend: one process per virtual interface, started by
# pvisord.
PVNETBACK_SRCS := \
	toolstack/netback/main.c \
	toolstack/netback/net_queue.c \
	toolstack/netback/net_ring.c \
	toolstack/netback/net_tx.c \
	toolstack/netback/net_rx.c \
	toolstack/netback/net_csum.c
PVNETBACK_OBJS := $(PVNETBACK_SRCS:%.c=$(BUILD)/obj/%.o) $(SVC_OBJS)
$(BUILD)/obj/toolstack/netback/%.o: CFLAGS += -Itoolstack/svc

$(BUILD)/pvnetback: $(PVNETBACK_OBJS) $(LIBPVISOR)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lseccomp $(LDLIBS)

pvisor: $(BUILD)/pvnetback


# pvctl parses config files client-side, as xl does.
$(BUILD)/pvctl: $(LIBPVCFG)
$(BUILD)/pvctl: LDLIBS += $(CFG_LDLIBS)
$(BUILD)/obj/toolstack/pvctl/%.o: CFLAGS += -Itoolstack/config
$(BUILD)/obj/toolstack/pvisord/commands.o: CFLAGS += -Itoolstack/config
