// Frames drawn off the canvas, then shown by a copy, on software GL. With SwiftShader (headless
// Chromium, a computer without a usable GPU) the GPU process draws, and Chromium's compositor,
// which composites in software then, reads the WebGL canvas back at the commit of every frame that
// drew on it, in the page's main thread, until the GPU process has drawn all of it: a frame of a
// 50k-span trace's overview with its finding marks held the main thread 300–600 ms (bench/boot.py's
// longest task while loading). So each frame is drawn into a render target of the canvas's size and
// samples, a fence follows it, and the main thread goes on; at an animation frame after the GPU
// has passed the fence (asked, never waited for), the target is copied to the canvas with one quad,
// and that frame's commit waits only for the copy. A GPU that composites itself does not read the
// canvas back: there, and in an immersive session, frames are drawn on the canvas as before.
const THREE = AFRAME.THREE;
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software/i;

const COPY_VERTEX = `
in vec3 position;
out vec2 uv;
void main() {
  uv = position.xy * 0.5 + 0.5;
  gl_Position = vec4(position.xy, 0.0, 1.0);
}`;
const COPY_FRAGMENT = `
precision highp float;
uniform sampler2D frame;
in vec2 uv;
out vec4 color;
void main() {
  color = texture(frame, uv);
}`;

/** An OffscreenFrames for this renderer when its GL draws in software and can fence; else null. */
export function offscreenFramesFor(renderer) {
  const gl = renderer.getContext();
  if (typeof WebGL2RenderingContext === "undefined" || !(gl instanceof WebGL2RenderingContext)) return null;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  return SOFTWARE_GL.test(name) ? new OffscreenFrames(renderer) : null;
}

export class OffscreenFrames {
  constructor(renderer) {
    this.renderer = renderer;
    this.gl = renderer.getContext();
    const attributes = this.gl.getContextAttributes();
    this.size = new THREE.Vector2();
    // The canvas's own samples, depth and stencil, so a frame looks the same drawn either way.
    // isXRRenderTarget: three.js then draws into it as onto the canvas (output colour space and tone
    // mapping applied in the shaders), and RGBA8 as the canvas stores it (without it three.js would
    // give the samples an sRGB format, and the resolve would fail): blending and antialiasing match.
    this.target = new THREE.WebGLRenderTarget(1, 1, {
      internalFormat: "RGBA8",
      samples: attributes.antialias ? this.gl.getParameter(this.gl.SAMPLES) : 0,
      depthBuffer: attributes.depth,
      stencilBuffer: attributes.stencil,
      colorSpace: renderer.outputColorSpace,
      minFilter: THREE.NearestFilter,
      magFilter: THREE.NearestFilter,
    });
    this.target.isXRRenderTarget = true;
    const copy = new THREE.RawShaderMaterial({
      glslVersion: THREE.GLSL3,
      vertexShader: COPY_VERTEX,
      fragmentShader: COPY_FRAGMENT,
      uniforms: { frame: { value: this.target.texture } },
      depthTest: false,
      depthWrite: false,
    });
    this.copyScene = new THREE.Scene();
    const quad = new THREE.Mesh(new THREE.PlaneGeometry(2, 2), copy);
    quad.frustumCulled = false;
    this.copyScene.add(quad);
    this.copyCamera = new THREE.OrthographicCamera(-1, 1, 1, -1, 0, 1);
    this.fence = null; // the GPU's progress through the frame drawn last; null: none waiting to be shown
    this.drawn = { calls: 0, triangles: 0, points: 0, lines: 0 }; // renderer.info.render of that frame
  }

  /** Whether a frame has been drawn and waits to be shown. */
  get waiting() {
    return this.fence !== null;
  }

  /** Whether the target has the canvas's size. If not, it is given it, and the frame should be
   * drawn at the next animation frame: the canvas was cleared when its size changed, and this
   * frame's commit reads it back, waiting for all the GPU has been asked to do until then. The
   * target, new and as clear as the canvas, is copied onto it meanwhile: the copy's shaders are
   * compiled and built by the GPU process while it has nothing else to do. */
  fits() {
    const { renderer, target } = this;
    renderer.getDrawingBufferSize(this.size);
    if (target.width === this.size.x && target.height === this.size.y) return true;
    this.forget();
    target.setSize(this.size.x, this.size.y);
    const { frame } = renderer.info.render;
    this.copy();
    renderer.info.render.frame = frame; // no frame of the scene was shown
    return false;
  }

  /** Draw a frame into the target with `draw` (which renders the scene); it is shown by show(). */
  draw(draw) {
    const { renderer, gl, target } = this;
    const previous = renderer.getRenderTarget();
    renderer.setRenderTarget(target);
    try {
      draw();
    } finally {
      renderer.setRenderTarget(previous);
    }
    const { render } = renderer.info;
    // renderer.info counts the frames shown (tests and tools wait for them): this one is, at show().
    render.frame--;
    Object.assign(this.drawn, { calls: render.calls, triangles: render.triangles, points: render.points, lines: render.lines });
    this.fence = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.flush(); // the GPU process starts on it now
  }

  /** Whether the GPU has drawn the waiting frame (asks; never waits). */
  ready() {
    const { gl } = this;
    return this.fence !== null && gl.getSyncParameter(this.fence, gl.SYNC_STATUS) === gl.SIGNALED;
  }

  /** Copy the frame drawn last onto the canvas. */
  show() {
    this.forget();
    this.copy();
  }

  /** Copy the target onto the canvas; three.js's counters go on describing the scene's frame drawn
   * last (its draw calls and triangles, not the copy's one quad). */
  copy() {
    this.renderer.setRenderTarget(null);
    this.renderer.render(this.copyScene, this.copyCamera);
    Object.assign(this.renderer.info.render, this.drawn);
  }

  /** Drop the waiting frame (an immersive session draws its own). */
  forget() {
    if (this.fence === null) return;
    this.gl.deleteSync(this.fence);
    this.fence = null;
  }
}
