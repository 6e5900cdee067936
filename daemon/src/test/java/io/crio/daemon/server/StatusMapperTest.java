package io.crio.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class StatusMapperTest {

    @Test
    void domainErrorsMapToTheirCodes() {
        assertEquals(Status.Code.NOT_FOUND, StatusMapper.toStatus(CriException.notFound("x")).getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, StatusMapper.toStatus(CriException.invalidArgument("x")).getCode());
        assertEquals(Status.Code.FAILED_PRECONDITION,
                StatusMapper.toStatus(CriException.failedPrecondition("x")).getCode());
        assertEquals(Status.Code.ALREADY_EXISTS,
                StatusMapper.toStatus(new CriException(CriException.Kind.ALREADY_EXISTS, "x")).getCode());
        assertEquals(Status.Code.UNAVAILABLE,
                StatusMapper.toStatus(new CriException(CriException.Kind.UNAVAILABLE, "x")).getCode());
        assertEquals(Status.Code.DEADLINE_EXCEEDED,
                StatusMapper.toStatus(new CriException(CriException.Kind.DEADLINE_EXCEEDED, "x")).getCode());
    }

    @Test
    void descriptionIsKeptAndUnknownErrorsAreInternal() {
        Status s = StatusMapper.toStatus(CriException.notFound("container abc not found"));
        assertEquals("container abc not found", s.getDescription());
        Status internal = StatusMapper.toStatus(new IllegalStateException("disk on fire"));
        assertEquals(Status.Code.INTERNAL, internal.getCode());
        assertEquals("disk on fire", internal.getDescription());
        assertEquals(Status.Code.PERMISSION_DENIED,
                StatusMapper.toStatus(new StatusRuntimeException(Status.PERMISSION_DENIED)).getCode());
    }
}
