package io.crio.daemon.cri;

import io.grpc.stub.StreamObserver;

/** Completes a unary call with one response. Failures are thrown and mapped by the call interceptor. */
final class Unary {

    private Unary() {}

    static <T> void reply(StreamObserver<T> observer, T response) {
        observer.onNext(response);
        observer.onCompleted();
    }
}
