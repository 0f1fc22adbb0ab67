// The shared provisioning and hub hand-off suite over MQTT over WebSockets (wss://<host>:443/$iothub/websocket in the
// field, the lab's WebSocket port here).
import { outcomesSuite } from './outcomes-suite';
import { provisioningSuite } from './provisioning-suite';

provisioningSuite('mqtt-ws');
outcomesSuite('mqtt-ws');
