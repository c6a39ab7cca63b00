// The "three" module for ES modules from npm that import it (troika-three-text and its helpers):
// re-exports A-Frame's bundled THREE, so there is one copy of three.js in the page and
// instanceof checks between A-Frame's objects and theirs hold. The import map in index.html
// maps "three" here; the names are the ones those modules import.
const THREE = AFRAME.THREE;

export const {
  Box3, BufferGeometry, Color, ColorManagement, CylinderGeometry, DataTexture, DoubleSide, DynamicDrawUsage,
  FloatType, InstancedBufferAttribute, InstancedBufferGeometry, LinearFilter, Matrix3, Matrix4, Mesh,
  MeshBasicMaterial, MeshDepthMaterial, MeshDistanceMaterial, MeshStandardMaterial, PlaneGeometry, RGBADepthPacking,
  RGBAFormat, ShaderChunk, ShaderLib, Sphere, Texture, UniformsUtils, Vector2, Vector3, Vector4,
} = THREE;
