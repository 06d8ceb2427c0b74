# xenstored: the store library (libxenstored.a) and the pvxenstored daemon.
XS_LIB_SRCS := \
	toolstack/xenstored/conn.c \
	toolstack/xenstored/dispatch.c \
	toolstack/xenstored/domain.c \
	toolstack/xenstored/node.c \
	toolstack/xenstored/path.c \
	toolstack/xenstored/perms.c \
	toolstack/xenstored/quota.c \
	toolstack/xenstored/ring.c \
	toolstack/xenstored/socket.c \
	toolstack/xenstored/store.c \
	toolstack/xenstored/transaction.c \
	toolstack/xenstored/tree.c \
	toolstack/xenstored/watch.c \
	toolstack/xenstored/wire.c

XS_LIB_OBJS     := $(XS_LIB_SRCS:%.c=$(BUILD)/obj/%.o)
XS_LIB_SAN_OBJS := $(XS_LIB_SRCS:%.c=$(BUILD)/san/%.o)
LIBXENSTORED     := $(BUILD)/libxenstored.a
LIBXENSTORED_SAN := $(BUILD)/libxenstored-san.a
XS_LDLIBS        := -lurcu-memb -lurcu-common -pthread

$(LIBXENSTORED): $(XS_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBXENSTORED_SAN): $(XS_LIB_SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/pvxenstored: $(BUILD)/obj/toolstack/xenstored/main.o $(LIBXENSTORED)
	$(Q)echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(XS_LDLIBS)

pvisor: $(BUILD)/pvxenstored
