// The one place that imports dockerode's runtime value, after installing the hook that defers
// its heavy, unused dependencies (see src/shared/defer-heavy-deps.ts). Import Docker from here.
import '../shared/defer-heavy-deps.js';
import Docker from 'dockerode';

export default Docker;
