package io.crio.daemon.cri;

import io.crio.api.v1.ImageServiceGrpc;

/**
 * The CRI ImageService. Every call answers UNIMPLEMENTED (the generated base class) until the image
 * store and registry client exist.
 */
public final class ImageService extends ImageServiceGrpc.ImageServiceImplBase {
}
