// npm scripts must run on the project's pinned Node (the `node` devDependency), not the machine's.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`Node ${process.versions.node} is running; this project needs Node 24 (run it through npm scripts).`);
  process.exit(1);
}
console.log(`node ${process.version}`);
