// Placeholder until the lab lands: `npm start` will run the end-to-end demo on the local lab.
console.log('dps-private-link demo: the local lab is not built yet.');
