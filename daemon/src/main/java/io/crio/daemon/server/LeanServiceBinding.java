package io.crio.daemon.server;

import io.grpc.BindableService;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Locale;

/**
 * Binds only the RPCs a service implements. The generated {@code bindService()} builds every method's
 * descriptor, which loads the request and response classes of all RPCs; binding just the overridden
 * methods keeps the others' classes out of memory. Calls to the rest are answered by
 * {@link #unimplemented()} with UNIMPLEMENTED, without parsing their request.
 */
public final class LeanServiceBinding {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LeanServiceBinding.class);

    private LeanServiceBinding() {}

    /**
     * A definition holding the unary methods {@code impl} overrides. {@code grpcClass} is the generated
     * {@code XxxGrpc} class, whose {@code getFooMethod()} getters provide each method's descriptor.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static ServerServiceDefinition bind(BindableService impl, Class<?> grpcClass, String serviceName) {
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(serviceName);
        for (Method m : impl.getClass().getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || m.getParameterCount() != 2
                    || m.getParameterTypes()[1] != StreamObserver.class) {
                continue;
            }
            String getter = "get" + m.getName().substring(0, 1).toUpperCase(Locale.ROOT) + m.getName().substring(1) + "Method";
            String bare = getter.substring(3, getter.length() - "Method".length());
            // the generated descriptor (and with it the request and response classes) is loaded on the first call
            // of the method, not at start-up: most RPCs are never called by a given client
            java.util.function.Supplier<MethodDescriptor<Object, Object>> descriptor = new io.crio.daemon.Lazy<>(() -> {
                try {
                    MethodDescriptor<Object, Object> d = (MethodDescriptor<Object, Object>) grpcClass.getMethod(getter).invoke(null);
                    if (d.getType() != MethodDescriptor.MethodType.UNARY) {
                        throw new IllegalStateException(d.getFullMethodName() + " is not unary; bind it explicitly");
                    }
                    return d;
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("no RPC for " + impl.getClass().getSimpleName() + "." + m.getName(), e);
                }
            });
            try {
                grpcClass.getMethod(getter);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("no RPC for " + impl.getClass().getSimpleName() + "." + m.getName(), e);
            }
            MethodDescriptor<byte[], Object> raw = MethodDescriptor.<byte[], Object>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(serviceName, bare))
                    .setRequestMarshaller(BYTES)
                    .setResponseMarshaller(MESSAGES)
                    .build();
            // the request is parsed inside the call, so a malformed one is an INVALID_ARGUMENT that goes
            // through the interceptor like every other failure
            ServerCallHandler<byte[], Object> handler = ServerCalls.asyncUnaryCall((bytes, observer) -> {
                Object request;
                try {
                    request = descriptor.get().parseRequest(new ByteArrayInputStream(bytes));
                } catch (RuntimeException e) {
                    throw CriException.invalidArgument("malformed " + bare + " request: "
                            + io.grpc.Status.fromThrowable(e).getDescription());
                }
                if (log.isDebugEnabled()) {
                    log.debug("Request: {}", CallInterceptor.body(request));
                }
                try {
                    m.invoke(impl, request, observer);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            });
            builder.addMethod(raw, handler);
        }
        return builder.build();
    }

    /** Answers every method it is asked for with UNIMPLEMENTED, naming the method. */
    public static HandlerRegistry unimplemented() {
        return new HandlerRegistry() {
            @Override
            public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
                MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
                        .setType(MethodDescriptor.MethodType.UNKNOWN)
                        .setFullMethodName(methodName)
                        .setRequestMarshaller(BYTES)
                        .setResponseMarshaller(BYTES)
                        .build();
                ServerCallHandler<byte[], byte[]> handler = (call, headers) -> {
                    call.close(Status.UNIMPLEMENTED.withDescription(
                            "Method " + methodName + " is not implemented by this version of crio"), new Metadata());
                    return new ServerCall.Listener<>() {};
                };
                return ServerMethodDefinition.create(descriptor, handler);
            }
        };
    }

    /** Responses are protobuf messages; they are only ever written. */
    private static final MethodDescriptor.Marshaller<Object> MESSAGES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(Object value) {
            return new ByteArrayInputStream(((com.google.protobuf.MessageLite) value).toByteArray());
        }

        @Override
        public Object parse(InputStream stream) {
            throw new UnsupportedOperationException("the server does not read responses");
        }
    };

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("reading request: " + e.getMessage()).asRuntimeException();
            }
        }
    };
}
