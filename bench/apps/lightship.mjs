// lightship as its README shows it. An ES module: lightship 9's CommonJS build does not load
// (`require('lightship')` fails with "Cannot find module './factories/createLightship.js'").
// Off Kubernetes it runs in local mode: its probe server on a random port, shutdownDelay 0.
import { createLightship } from 'lightship';
import common from './common.cjs';

const lightship = await createLightship();
const server = common.listen(common.createServer(), () => lightship.signalReady());
lightship.registerShutdownHandler(() => new Promise((resolve) => server.close(resolve)));
