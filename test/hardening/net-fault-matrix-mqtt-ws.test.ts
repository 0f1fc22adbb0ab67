// The network fault matrix over MQTT over WebSockets.
import { faultMatrix } from './net-fault-matrix';

faultMatrix('mqtt-ws');
